// The command line (Cli/SalesOpsCommandLine.cs): without a command it runs the server; `--help` lists the rest.
return await SalesOps.Server.Cli.SalesOpsCommandLine.InvokeAsync(args);
