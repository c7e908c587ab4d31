namespace Registry.EndToEnd.Tests;
public class Smoke { [Fact] public void Ok() => Assert.True(true); }
