using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace SalesOps.Server.Api;

/// <summary>
/// Binds every gRPC service (ours, health, reflection) the way Grpc.AspNetCore's own binder does, except that each
/// request marshaller answers bytes that are not the expected message with <c>INVALID_ARGUMENT</c>.
/// </summary>
/// <remarks>
/// Grpc.AspNetCore reads and deserializes a unary or server-streaming request before any interceptor runs, and
/// answers whatever the deserializer throws with <c>UNKNOWN</c> ("Exception was thrown by handler."), logged as an
/// error with its stack trace, unless it is an <see cref="RpcException"/>. The marshaller is the one hook on that
/// path, and the generated code fixes it in the service's static <c>BindService</c>; this provider takes the binder's
/// place and swaps the request marshaller for one that turns a parse failure (a truncated field, invalid UTF-8 in a
/// string, bytes of another message) into an <see cref="RpcException"/>.
/// </remarks>
public static class RequestMarshalling
{
    /// <summary>Replaces Grpc.AspNetCore's binder provider (call after <c>AddGrpc</c>).</summary>
    public static IServiceCollection AddStrictRequestMarshalling(this IServiceCollection services)
    {
        var binder = services.FirstOrDefault(d =>
            d.ServiceType == typeof(IServiceMethodProvider<>) && d.ImplementationType?.Name.StartsWith("BinderServiceMethodProvider", StringComparison.Ordinal) == true)
            ?? throw new InvalidOperationException("Grpc.AspNetCore's BinderServiceMethodProvider is not registered: call AddGrpc first, or the library changed how it binds services.");
        services.Remove(binder);
        services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IServiceMethodProvider<>), typeof(StrictServiceMethodProvider<>)));
        return services;
    }

    /// <summary>The request marshaller of <paramref name="method"/>, whose failures answer <c>INVALID_ARGUMENT</c>.</summary>
    internal static Method<TRequest, TResponse> Strict<TRequest, TResponse>(Method<TRequest, TResponse> method)
        where TRequest : class
        where TResponse : class
    {
        var inner = method.RequestMarshaller;
        var what = $"the request to {method.FullName} is not a valid {typeof(TRequest).Name} message";
        var marshaller = Marshallers.Create(
            inner.ContextualSerializer,
            context =>
            {
                try
                {
                    return inner.ContextualDeserializer(context);
                }
                catch (Exception ex) when (ex is not RpcException and not OperationCanceledException)
                {
                    // The parser's own message names the fault (truncated field, invalid UTF-8) without quoting input.
                    throw ApiErrors.Malformed(StatusCode.InvalidArgument, $"{what}: {Short(ex.Message)}");
                }
            });
        return new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, marshaller, method.ResponseMarshaller);
    }

    private static string Short(string text) => text.Length <= 160 ? text : text[..160] + "…";
}

/// <summary>
/// Discovers a service's methods through the <see cref="BindServiceMethodAttribute"/> its generated base carries,
/// as Grpc.AspNetCore's binder does, and registers them with strict request marshallers
/// (<see cref="RequestMarshalling"/>).
/// </summary>
internal sealed class StrictServiceMethodProvider<[DynamicallyAccessedMembers(Accessibility)] TService> : IServiceMethodProvider<TService>
    where TService : class
{
    internal const DynamicallyAccessedMemberTypes Accessibility =
        DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.NonPublicMethods;

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        for (var type = typeof(TService); type is not null; type = type.BaseType)
        {
            if (type.GetCustomAttribute<BindServiceMethodAttribute>(inherit: false) is not { } bind)
            {
                continue;
            }

            var method = bind.BindType.GetMethod(
                bind.BindMethodName,
                BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static,
                [typeof(ServiceBinderBase), type])
                ?? throw new InvalidOperationException($"{bind.BindType} has no {bind.BindMethodName}(ServiceBinderBase, {type.Name}).");
            method.Invoke(null, [new Binder(context), null]);
            return;
        }
    }

    /// <summary>Receives each method from the generated <c>BindService</c> and adds it to the route table.</summary>
    private sealed class Binder(ServiceMethodProviderContext<TService> context) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler) =>
            context.AddUnaryMethod(
                RequestMarshalling.Strict(method),
                Metadata(method.Name, [typeof(TRequest), typeof(ServerCallContext)], out var target),
                Invoker<UnaryServerMethod<TService, TRequest, TResponse>>(target));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddServerStreamingMethod(
                RequestMarshalling.Strict(method),
                Metadata(method.Name, [typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext)], out var target),
                Invoker<ServerStreamingServerMethod<TService, TRequest, TResponse>>(target));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddClientStreamingMethod(
                RequestMarshalling.Strict(method),
                Metadata(method.Name, [typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext)], out var target),
                Invoker<ClientStreamingServerMethod<TService, TRequest, TResponse>>(target));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddDuplexStreamingMethod(
                RequestMarshalling.Strict(method),
                Metadata(method.Name, [typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext)], out var target),
                Invoker<DuplexStreamingServerMethod<TService, TRequest, TResponse>>(target));

        /// <summary>
        /// The endpoint metadata Grpc.AspNetCore's binder gives a method: the service's attributes, then the method's
        /// (so they win), then POST only.
        /// </summary>
        private static List<object> Metadata(string name, Type[] parameters, out MethodInfo target)
        {
            // The public instance method of that name and signature: the override, or the generated base's default,
            // which answers UNIMPLEMENTED.
            target = typeof(TService).GetMethod(name, BindingFlags.Public | BindingFlags.Instance, parameters)
                ?? throw new InvalidOperationException($"Could not find '{name}' on {typeof(TService)}.");
            var metadata = new List<object>();
            metadata.AddRange(typeof(TService).GetCustomAttributes(inherit: true));
            metadata.AddRange(target.GetCustomAttributes(inherit: true));
            metadata.Add(new HttpMethodMetadata(["POST"], acceptCorsPreflight: true));
            return metadata;
        }

        private static TDelegate Invoker<TDelegate>(MethodInfo target)
            where TDelegate : Delegate =>
            (TDelegate)Delegate.CreateDelegate(typeof(TDelegate), target);
    }
}
