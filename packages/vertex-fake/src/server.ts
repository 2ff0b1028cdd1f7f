import type { v1 } from "@google-cloud/aiplatform";
import {
  type ChannelCredentials,
  credentials,
  type handleUnaryCall,
  Server,
  ServerCredentials,
  type ServiceDefinition,
  status,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { OAuth2Client } from "google-auth-library";
import { Clock } from "./clock.js";
import { RpcError } from "./errors.js";
import { FailureInjector, type FailureOptions } from "./failures.js";
import { Operations } from "./lro.js";
import { metadataService } from "./metadata-service.js";
import { ProjectNumbers } from "./names.js";
import { pipelineService } from "./pipeline-service.js";
import { loadProtos } from "./protos.js";
import type { Handlers, Request } from "./rpc.js";
import { VertexStore } from "./store.js";
import { tensorboardService } from "./tensorboard-service.js";

export interface VertexFakeOptions {
  /** Interface to listen on. @default "127.0.0.1" */
  host?: string;
  /** Port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /**
   * The project number the fake answers with in resource names. The first project id a request
   * uses maps to it; further ids get the following numbers. @default "123456789012"
   */
  projectNumber?: string;
  /** Whether the `default` metadata store exists without a CreateMetadataStore call. @default true */
  autoCreateDefaultStore?: boolean;
  /** Seed of the sampling that BatchRead/ReadTensorboardTimeSeriesData apply past their point limits. @default 1 */
  samplingSeed?: number;
  /**
   * Whether ListTensorboardTimeSeries takes the AIP-159 wildcard `…/experiments/{e}/runs/-` (the
   * series of every run of the experiment). Vertex does not document it, so it is off unless asked
   * for, and a client must not depend on it. @default false
   */
  wildcardParents?: boolean;
}

type GapicClientOptions = NonNullable<ConstructorParameters<typeof v1.MetadataServiceClient>[0]>;

/**
 * The auth client type the GAPIC clients accept. It is google-auth-library's `OAuth2Client`, typed
 * through `@google-cloud/aiplatform` so that it type-checks even when the google-auth-library copy
 * of google-gax differs from this package's.
 */
export type GapicAuthClient = NonNullable<GapicClientOptions["authClient"]>;

/** Options for `new v1.MetadataServiceClient(…)` / `new v1.TensorboardServiceClient(…)` of `@google-cloud/aiplatform`. */
// A type alias, not an interface: the GAPIC ClientOptions has an index signature.
export type VertexFakeClientOptions = {
  apiEndpoint: string;
  port: number;
  /** Insecure channel credentials: no TLS, no auth. */
  sslCreds: ChannelCredentials;
  /** A credential-less `OAuth2Client`, so google-auth-library never looks for default credentials. */
  authClient: GapicAuthClient;
};

export interface VertexFake {
  readonly host: string;
  readonly port: number;
  /** `host:port`. */
  readonly address: string;
  /** The project number in the names the fake returns. */
  readonly projectNumber: string;
  /** The in-memory state: read it and seed it in tests. */
  readonly store: VertexStore;
  clientOptions(): VertexFakeClientOptions;
  /** Calls per method name (e.g. `UpdateContext`) since start or the last reset, failed calls included. */
  rpcCounts(): Record<string, number>;
  resetRpcCounts(): void;
  /** Fails a share of calls before they change anything; `null` turns it off. */
  injectFailures(options: FailureOptions | null): void;
  /** Empties the store and the operations; counts and failure injection are left as they are. */
  reset(): void;
  close(): Promise<void>;
}

/** Starts the fake Vertex AI Metadata and TensorBoard services on a local port. */
export async function startVertexFake(options: VertexFakeOptions = {}): Promise<VertexFake> {
  const host = options.host ?? "127.0.0.1";
  const projectNumber = options.projectNumber ?? "123456789012";
  const protos = loadProtos();
  const clock = new Clock();
  const store = new VertexStore(new ProjectNumbers(projectNumber), clock);
  const operations = new Operations();
  const failures = new FailureInjector();
  const counts = new Map<string, number>();

  const serve = (handlers: Handlers): UntypedServiceImplementation => {
    const implementation: UntypedServiceImplementation = {};
    for (const [method, handler] of Object.entries(handlers)) {
      const unary: handleUnaryCall<Request, object> = (call, callback) => {
        counts.set(method, (counts.get(method) ?? 0) + 1);
        const failure = failures.next(method);
        if (failure) {
          callback({ code: failure.code, details: failure.message });
          return;
        }
        try {
          callback(null, handler(call.request));
        } catch (error) {
          if (error instanceof RpcError) callback({ code: error.code, details: error.message });
          else callback({ code: status.INTERNAL, details: `vertex-fake: ${String(error)}` });
        }
      };
      implementation[method] = unary;
    }
    return implementation;
  };

  const server = new Server();
  const add = (definition: ServiceDefinition, handlers: Handlers) => {
    const known = new Set(Object.keys(definition));
    for (const method of Object.keys(handlers)) {
      if (!known.has(method)) throw new Error(`[exprun] [vertex-fake] No method ${method} in the service.`);
    }
    server.addService(definition, serve(handlers));
  };
  add(
    protos.metadataService,
    metadataService(store, clock, operations, protos, {
      autoCreateDefaultStore: options.autoCreateDefaultStore ?? true,
    }),
  );
  add(
    protos.tensorboardService,
    tensorboardService(store, clock, operations, protos, {
      samplingSeed: options.samplingSeed ?? 1,
      wildcardParents: options.wildcardParents ?? false,
    }),
  );
  add(
    protos.pipelineService,
    pipelineService(store, clock, operations, {
      autoCreateDefaultStore: options.autoCreateDefaultStore ?? true,
    }),
  );
  add(protos.operations, {
    GetOperation: (r: Request) => operations.get(r.name),
    WaitOperation: (r: Request) => operations.get(r.name),
    DeleteOperation: (r: Request) => {
      operations.delete(r.name);
      return {};
    },
    CancelOperation: (r: Request) => {
      operations.get(r.name);
      return {};
    },
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${options.port ?? 0}`, ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });
  const address = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;

  return {
    host,
    port,
    address,
    projectNumber,
    store,
    clientOptions: () => ({
      apiEndpoint: host,
      port,
      sslCreds: credentials.createInsecure(),
      // google-gax only calls the client's methods, so any google-auth-library 10.x copy serves.
      authClient: new OAuth2Client() as unknown as GapicAuthClient,
    }),
    rpcCounts: () => Object.fromEntries(counts),
    resetRpcCounts: () => counts.clear(),
    injectFailures: (failureOptions) => failures.configure(failureOptions),
    reset: () => {
      store.clear();
      operations.clear();
    },
    close: async () => {
      server.forceShutdown();
    },
  };
}
