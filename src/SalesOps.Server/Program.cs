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

WebApplication app;
try
{
    app = SalesOpsHost.Build(args);
}
catch (InvalidOperationException ex)
{
    // A setting that cannot work (a port, a folder, a key): say which, without a stack trace.
    await Console.Error.WriteLineAsync($"salesops: {ex.Message}");
    return 2;
}

await app.RunAsync();
return 0;
