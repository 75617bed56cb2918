// A filter built with the AssemblyScript proxy-wasm SDK (@solo-io/proxy-runtime, ABI
// 0.2.0): it marks requests and responses with headers (the response one from its
// configuration), answers /as-teapot itself, and counts requests in a metric.
export * from "@solo-io/proxy-runtime/proxy";
import {
  RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context,
  send_local_response, GrpcStatusValues, Counter, log, LogLevelValues
} from "@solo-io/proxy-runtime";

class MarkRoot extends RootContext {
  requests: Counter = new Counter("as_requests_total");

  createContext(context_id: u32): Context {
    return new Mark(context_id, this);
  }
}

class Mark extends Context {
  root: MarkRoot;

  constructor(context_id: u32, root_context: MarkRoot) {
    super(context_id, root_context);
    this.root = root_context;
  }

  onRequestHeaders(a: u32, end_of_stream: bool): FilterHeadersStatusValues {
    this.root.requests.increment(1);
    const path = stream_context.headers.request.get(":path");
    if (path == "/as-teapot") {
      send_local_response(418, "teapot", String.UTF8.encode("short and stout\n"), [], GrpcStatusValues.Ok);
      return FilterHeadersStatusValues.StopIteration;
    }
    stream_context.headers.request.add("x-as-filter", "assemblyscript");
    return FilterHeadersStatusValues.Continue;
  }

  onResponseHeaders(a: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const config = this.root.getConfiguration();
    stream_context.headers.response.add("x-as-response", config == "" ? "hello" : config);
    return FilterHeadersStatusValues.Continue;
  }

  onLog(): void {
    log(LogLevelValues.info, "as filter done");
  }
}

registerRootContext((context_id: u32) => { return new MarkRoot(context_id); }, "as_mark");
