using Google.Rpc;
using Grpc.Core;
using SalesOps.Server.Api;

namespace SalesOps.Engine.Tests;

/// <summary>Reads the google.rpc.Status details the API answers with (and checks the pre-v1 "field" trailer is gone).</summary>
public static class StatusDetails
{
    /// <summary>The field a status names (its one BadRequest field violation) and its ErrorInfo reason.</summary>
    public static (string Field, string Reason) Named(Google.Rpc.Status? status)
    {
        Assert.NotNull(status);
        var violation = Assert.Single(status.GetDetail<BadRequest>()?.FieldViolations ?? []);
        Assert.False(string.IsNullOrEmpty(violation.Description));
        var info = status.GetDetail<ErrorInfo>();
        Assert.NotNull(info);
        Assert.Equal(ApiErrors.Domain, info.Domain);
        return (violation.Field, info.Reason);
    }

    /// <summary>The field and reason of a failed call.</summary>
    public static (string Field, string Reason) Named(RpcException ex)
    {
        Assert.Null(ex.Trailers.GetValue("field"));
        return Named(ex.GetRpcStatus());
    }

    /// <summary>The sequence an ended alert stream says to resume after.</summary>
    public static long ResumePoint(RpcException ex)
    {
        var info = ex.GetRpcStatus()?.GetDetail<ErrorInfo>();
        Assert.NotNull(info);
        return long.Parse(info.Metadata[ApiErrors.ResumeKey], System.Globalization.CultureInfo.InvariantCulture);
    }
}
