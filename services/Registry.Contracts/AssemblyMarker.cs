namespace Registry.Contracts;

/// <summary>Anchors the assembly for MassTransit's message scanning once events land.</summary>
public static class ContractsAssembly
{
    public static System.Reflection.Assembly Assembly => typeof(ContractsAssembly).Assembly;
}
