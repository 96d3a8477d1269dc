using System.CommandLine;
using Grpc.Core;

namespace SalesOps.Server.Cli;

/// <summary>The <c>import</c> command: System.CommandLine's face of <see cref="Importer"/>.</summary>
public static class ImportCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "a CSV file with a header row, or JSON lines (README, \"Import\", lists the columns)" };
        var kind = new Option<ImportKind>("--kind") { Description = "what the rows are", Required = true, HelpName = "regions|reps|customers|deals|activities|payments|targets" };
        var format = new Option<string>("--format") { Description = "csv or jsonl [default: by the file's extension]", HelpName = "csv|jsonl" };
        format.AcceptOnlyFromAmong("csv", "jsonl");
        var rejects = new Option<string>("--rejects") { Description = "where refused and unreadable rows go [default: <file>.rejects.csv, when any]", HelpName = "rejects.csv" };
        var batch = new Option<int>("--batch") { Description = "events a batch, 1 to 5000", DefaultValueFactory = _ => 500, HelpName = "number" };
        batch.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 5_000)
            {
                r.AddError("--batch must be 1 to 5000");
            }
        });
        var restart = new Option<bool>("--restart") { Description = "send every row again, ignoring where a previous run of the file stopped" };
        var command = new Command("import", "Send a file's rows to a running server as events; run again after an interruption to resume.") { file, kind, format, rejects, batch, restart };
        var client = new ClientOptions().AddTo(command);
        command.SetAction(async (parse, cancel) =>
        {
            var options = new ImportOptions(parse.GetRequiredValue(file), parse.GetValue(kind))
            {
                Format = parse.GetValue(format),
                RejectsFile = parse.GetValue(rejects),
                BatchSize = parse.GetValue(batch),
                Restart = parse.GetValue(restart),
                Server = client.ServerOf(parse),
                ApiKey = client.KeyOf(parse),
            };
            if (!File.Exists(options.File))
            {
                await Console.Error.WriteLineAsync($"import: no file '{options.File}'");
                return SalesOpsCommandLine.UsageError;
            }

            try
            {
                return (await Importer.RunAsync(options, cancel)).ExitCode;
            }
            catch (RpcException ex)
            {
                await Console.Error.WriteLineAsync($"import failed: {ex.StatusCode}: {ex.Status.Detail} (run it again to resume)");
                return 1;
            }
            catch (OperationCanceledException)
            {
                await Console.Error.WriteLineAsync("import interrupted (run it again to resume: what the server has answers DUPLICATE)");
                return 130;
            }
        });
        return command;
    }
}
