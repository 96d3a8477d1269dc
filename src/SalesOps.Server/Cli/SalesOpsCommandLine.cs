using System.CommandLine;
using System.CommandLine.Help;
using SalesOps.Server.Access;
using SalesOps.Server.Hosting;
using SalesOps.Server.Screens;

namespace SalesOps.Server.Cli;

/// <summary>
/// The command line (System.CommandLine): the root command runs the server; <c>migrate</c>, <c>healthcheck</c>,
/// <c>keys</c> and <c>channels</c> manage it; <c>import</c>, <c>get</c>, <c>top</c> and <c>alerts</c> are clients of a
/// running server. A switch the parser does not know, a missing or malformed value, ends with exit code 2 and a message
/// naming it. The root, <c>migrate</c> and <c>healthcheck</c> also take any <c>--Section:Key value</c> configuration
/// override, handed on to the configuration as the server always took them.
/// </summary>
public static class SalesOpsCommandLine
{
    /// <summary>Exit code of a command line that cannot be parsed.</summary>
    public const int UsageError = 2;

    private static readonly Option<bool> Demo = new("--demo") { Description = "start with a demo company and live events" };
    private static readonly Option<bool> Migrate = new("--migrate") { Description = "apply the PostgreSQL schema at start (postgres mode)" };

    /// <summary>Builds the whole command tree; <paramref name="runServer"/> runs the server with configuration arguments.</summary>
    public static RootCommand Create(Func<string[], CancellationToken, Task<int>>? runServer = null)
    {
        var root = new RootCommand("SalesOps: the real-time sales-operations engine. Without a command, runs the server.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        var switches = AddServerSwitches(root);
        root.Options.Add(Demo);
        root.Options.Add(Migrate);
        root.SetAction((parse, cancel) => (runServer ?? RunServerAsync)(ServerArguments(parse, switches), cancel));

        var migrate = new Command("migrate", "Apply the PostgreSQL schema (creating the database if needed) and exit; safe to run again.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        var migrateSwitches = AddServerSwitches(migrate);
        migrate.SetAction((parse, _) => SalesOpsHost.MigrateAsync(ServerArguments(parse, migrateSwitches)));
        root.Subcommands.Add(migrate);

        var health = new Command("healthcheck", "Ask the server on this machine for its gRPC health, with the server's own settings; exit code 0 when serving.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        var healthSwitches = AddServerSwitches(health);
        health.SetAction((parse, _) => SalesOpsHost.HealthCheckAsync(ServerArguments(parse, healthSwitches)));
        root.Subcommands.Add(health);

        root.Subcommands.Add(KeysCommand.Create());
        root.Subcommands.Add(ChannelsCommand.Create());
        root.Subcommands.Add(ImportCommand.Create());
        root.Subcommands.Add(GetCommand.Create());
        root.Subcommands.Add(TopCommand.Create());
        root.Subcommands.Add(AlertsCommand.Create());
        return root;
    }

    /// <summary>
    /// Parses and runs <paramref name="args"/>. Help goes to <paramref name="output"/>; a parse error is written to
    /// <paramref name="error"/> and answered with <see cref="UsageError"/> without running anything.
    /// </summary>
    public static async Task<int> InvokeAsync(
        string[] args,
        TextWriter? output = null,
        TextWriter? error = null,
        Func<string[], CancellationToken, Task<int>>? runServer = null,
        CancellationToken cancellationToken = default)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        // No response files: a value starting with '@' (a password, a connection string) is taken as it is.
        var parse = Create(runServer).Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.Action is not HelpAction)
        {
            var problems = parse.Errors.Select(e => e.Message).ToList();
            if (problems.Count == 0)
            {
                ConfigurationOverrides(parse.UnmatchedTokens, problems);
            }

            if (problems.Count > 0)
            {
                foreach (var problem in problems)
                {
                    await error.WriteLineAsync($"salesops: {problem}");
                }

                await error.WriteLineAsync($"see: salesops {CommandPath(parse)}--help");
                return UsageError;
            }
        }

        var invocation = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            // The server shuts down on Ctrl+C and SIGTERM itself, however long a graceful stop takes; the parser must
            // not end the process under it. Client commands are cancelled, then ended after two seconds.
            ProcessTerminationTimeout = parse.CommandResult.Command is RootCommand ? null : TimeSpan.FromSeconds(2),
        };
        return await parse.InvokeAsync(invocation, cancellationToken);
    }

    /// <summary>
    /// The unmatched tokens of a command that takes configuration overrides, as configuration arguments: each
    /// <c>--Section:Key value</c> or <c>--Section:Key=value</c> pair. Anything else is a problem, named.
    /// </summary>
    internal static List<string> ConfigurationOverrides(IReadOnlyList<string> tokens, List<string> problems)
    {
        var forwarded = new List<string>();
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            var name = token.StartsWith("--", StringComparison.Ordinal) ? token[2..].Split('=', 2)[0] : "";
            if (!name.Contains(':', StringComparison.Ordinal) || name.StartsWith(':') || name.EndsWith(':'))
            {
                if (token.StartsWith('-'))
                {
                    problems.Add($"unknown switch '{token}' (configuration overrides are written --Section:Key value)");
                    if (i + 1 < tokens.Count && !tokens[i + 1].StartsWith('-'))
                    {
                        i++; // its value: one problem is enough
                    }
                }
                else
                {
                    problems.Add($"unexpected argument '{token}' (not a command, and no switch takes it)");
                }

                continue;
            }

            forwarded.Add(token);
            if (token.Contains('=', StringComparison.Ordinal))
            {
                continue;
            }

            if (i + 1 < tokens.Count && !tokens[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                forwarded.Add(tokens[++i]);
            }
            else
            {
                problems.Add($"configuration override '{token}' needs a value");
            }
        }

        return forwarded;
    }

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result.Parent is System.CommandLine.Parsing.CommandResult parent; result = parent)
        {
            names.Insert(0, result.Command.Name);
        }

        return names.Count == 0 ? "" : string.Join(' ', names) + " ";
    }

    /// <summary>Declares the server switches on <paramref name="command"/>, each with its configuration key.</summary>
    private static List<(Option Option, ServerSwitch Switch)> AddServerSwitches(Command command)
    {
        var options = new List<(Option, ServerSwitch)>();
        foreach (var s in SalesOpsHost.ServerSwitches)
        {
            Option option = s.ValueType == typeof(int)
                ? new Option<int?>(s.Name) { Description = s.Description, HelpName = "number", CustomParser = WholeNumber }
                : new Option<string>(s.Name) { Description = s.Description, HelpName = "text" };
            if (s.Name == "--storage" && option is Option<string> storage)
            {
                storage.AcceptOnlyFromAmong("sqlite", "memory", "postgres");
            }

            command.Options.Add(option);
            options.Add((option, s));
        }

        return options;
    }

    private static int? WholeNumber(System.CommandLine.Parsing.ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        var name = result.Parent is System.CommandLine.Parsing.OptionResult option ? option.Option.Name : "the option";
        result.AddError($"{name} needs a whole number, not '{text}'");
        return null;
    }

    /// <summary>The configuration arguments of a parsed server command: each switch given, as its key, then the overrides.</summary>
    private static string[] ServerArguments(ParseResult parse, List<(Option Option, ServerSwitch Switch)> switches)
    {
        var args = new List<string>();
        foreach (var (option, s) in switches)
        {
            if (parse.GetResult(option) is not { Implicit: false } result)
            {
                continue;
            }

            var value = option switch
            {
                Option<int?> number => result.GetValueOrDefault<int?>()?.ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => result.GetValueOrDefault<string>(),
            };
            if (value is not null)
            {
                args.Add("--" + s.ConfigurationKey);
                args.Add(value);
            }
        }

        if (parse.CommandResult.Command is RootCommand)
        {
            if (parse.GetValue(Demo))
            {
                args.Add("--demo");
            }

            if (parse.GetValue(Migrate))
            {
                args.Add("--migrate");
            }
        }

        args.AddRange(ConfigurationOverrides(parse.UnmatchedTokens, []));
        return [.. args];
    }

    private static async Task<int> RunServerAsync(string[] args, CancellationToken cancellationToken)
    {
        WebApplication app;
        try
        {
            app = SalesOpsHost.Build(args);
        }
        catch (InvalidOperationException ex)
        {
            // A setting that cannot work (a port, a folder, a key): say which, without a stack trace.
            await Console.Error.WriteLineAsync($"salesops: {ex.Message}");
            return UsageError;
        }

        await app.RunAsync();
        return 0;
    }
}
