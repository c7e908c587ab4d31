using Registry.WebhookReceiver;

// A webhook receiver for tests: records every request outside /_receiver/ and answers it as the mode for its path
// says; /_receiver/* reads the record and sets the modes (see ReceiverApi).
// Usage: dotnet Registry.WebhookReceiver.dll --urls http://127.0.0.1:<port> [--secret <secret>]
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
builder.Services.AddSingleton(new Receiver(builder.Configuration["secret"]));

var app = builder.Build();
var receiver = app.Services.GetRequiredService<Receiver>();
app.Use((context, next) => ReceiverApi.IsControl(context.Request.Path) ? next(context) : receiver.ReceiveAsync(context));
app.MapReceiverApi();
app.Run();
