using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using SalesOps.Runtime.Telemetry;

namespace SalesOps.Server.Hosting;

/// <summary>Metrics and traces (section <c>Telemetry</c>; docs/telemetry.md, ADR 0032).</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary>
    /// Where OTLP goes (metrics and traces), e.g. <c>http://collector:4317</c>. Unset: the standard
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> environment variable (with <c>OTEL_EXPORTER_OTLP_PROTOCOL</c> and the other
    /// <c>OTEL_EXPORTER_OTLP_*</c> settings); neither: no OTLP export and no traces.
    /// </summary>
    public string OtlpEndpoint { get; set; } = "";

    /// <summary>
    /// Share of traces recorded when nothing upstream decided (a caller's sampled <c>traceparent</c> is followed):
    /// every ingest batch fans out into several grain calls, so tracing them all costs per event.
    /// </summary>
    public double TraceSampleRatio { get; set; } = 0.01;

    /// <summary>The Prometheus scrape path on the web port; empty: no scrape endpoint.</summary>
    public string PrometheusPath { get; set; } = "/metrics";

    /// <summary>Where the Orleans dashboard is mapped on the web port (admins only); empty: no dashboard.</summary>
    public string DashboardPath { get; set; } = "/dashboard";

    public static TelemetryOptions From(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<TelemetryOptions>() ?? new TelemetryOptions();

    /// <summary>The OTLP endpoint in effect: the setting, else the standard environment variable; null when neither.</summary>
    public Uri? EffectiveOtlpEndpoint(IConfiguration configuration)
    {
        var text = OtlpEndpoint.Length > 0 ? OtlpEndpoint : configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] ?? "";
        if (text.Trim().Length == 0)
        {
            return null;
        }

        return Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new InvalidOperationException(
                $"{(OtlpEndpoint.Length > 0 ? "Telemetry:OtlpEndpoint" : "OTEL_EXPORTER_OTLP_ENDPOINT")} '{text}' is not an http(s) address (e.g. http://collector:4317)");
    }
}

/// <summary>
/// Wires OpenTelemetry: the engine's meter, Orleans' meter, ASP.NET Core and runtime metrics, read by a Prometheus
/// scrape endpoint on the web port and, with an OTLP endpoint, exported with traces (ASP.NET Core requests and grain
/// calls, Orleans' activity propagation carrying the trace through them).
/// </summary>
public static class Telemetry
{
    /// <summary>Orleans' meter: activations, messages, calls.</summary>
    public const string OrleansMeter = "Microsoft.Orleans";

    /// <summary>Orleans' activity sources (grain calls: Microsoft.Orleans.Application, .Runtime, .Storage, …).</summary>
    public const string OrleansActivitySources = "Microsoft.Orleans.*";

    public static WebApplicationBuilder AddSalesOpsTelemetry(this WebApplicationBuilder builder, ServerOptions server)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(server);
        var options = TelemetryOptions.From(builder.Configuration);
        var otlp = options.EffectiveOtlpEndpoint(builder.Configuration);
        var prometheus = options.PrometheusPath.Length > 0 && server.EffectiveWebPort is not null;
        if (options.TraceSampleRatio is < 0 or > 1)
        {
            throw new InvalidOperationException($"Telemetry:TraceSampleRatio must be between 0 and 1, not {options.TraceSampleRatio}");
        }

        EngineMetrics.CreateInstruments();
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("salesops", serviceInstanceId: $"{Environment.MachineName}:{server.SiloPort}"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(EngineMetrics.MeterName, OrleansMeter)
                    .AddAspNetCoreInstrumentation()
                    .AddRuntimeInstrumentation();
                if (prometheus)
                {
                    metrics.AddPrometheusExporter();
                }
            });

        if (otlp is not null)
        {
            // Traces only with somewhere to send them: a tracer listening to Orleans' sources makes every grain call
            // build an activity, which is per-event work for nothing when no one collects it.
            telemetry.WithTracing(tracing => tracing
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(options.TraceSampleRatio)))
                .AddSource(OrleansActivitySources)
                .AddAspNetCoreInstrumentation());
            if (options.OtlpEndpoint.Length > 0)
            {
                telemetry.UseOtlpExporter(OtlpProtocolOf(builder.Configuration["OTEL_EXPORTER_OTLP_PROTOCOL"]), otlp);
            }
            else
            {
                telemetry.UseOtlpExporter(); // reads OTEL_EXPORTER_OTLP_* itself
            }
        }

        return builder;
    }

    /// <summary>
    /// Serves the Prometheus scrape endpoint (<see cref="TelemetryOptions.PrometheusPath"/>) on the web port only: the
    /// gRPC port stays gRPC. Unauthenticated, as scrapers expect: it shows counts and latencies, no business figure.
    /// </summary>
    public static WebApplication UseSalesOpsMetrics(this WebApplication app, ServerOptions server)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(server);
        var options = TelemetryOptions.From(app.Configuration);
        if (options.PrometheusPath.Length > 0 && server.EffectiveWebPort is not null)
        {
            var path = new PathString(options.PrometheusPath);
            app.UseOpenTelemetryPrometheusScrapingEndpoint(context =>
                context.Request.Path == path && Endpoints.IsWebConnection(context, server));
        }

        return app;
    }

    private static OtlpExportProtocol OtlpProtocolOf(string? protocol) =>
        (protocol ?? "grpc").Trim().ToLowerInvariant() switch
        {
            "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
            _ => OtlpExportProtocol.Grpc,
        };
}
