using SalesOps.Server.Hosting;

if (args is ["migrate", ..])
{
    return await SalesOpsHost.MigrateAsync(args[1..]);
}

var app = SalesOpsHost.Build(args);
await app.RunAsync();
return 0;
