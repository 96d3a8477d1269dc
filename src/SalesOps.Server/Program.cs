using SalesOps.Server.Hosting;

var app = SalesOpsHost.Build(args);
await app.RunAsync();
