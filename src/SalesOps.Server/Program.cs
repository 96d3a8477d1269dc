using SalesOps.Server.Hosting;

switch (args)
{
    case ["migrate", ..]:
        return await SalesOpsHost.MigrateAsync(args[1..]);
    case ["healthcheck", ..]:
        return await SalesOpsHost.HealthCheckAsync(args[1..]);
    case ["keys", ..]:
        return await SalesOps.Server.Access.KeysCommand.RunAsync(args[1..]);
    case ["channels", ..]:
        return await SalesOps.Server.Screens.ChannelsCommand.RunAsync(args[1..]);
}

var app = SalesOpsHost.Build(args);
await app.RunAsync();
return 0;
