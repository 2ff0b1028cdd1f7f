import type { Clock } from "./clock.js";
import type { Operations } from "./lro.js";
import type { Protos } from "./protos.js";
import type { Handlers } from "./rpc.js";
import type { VertexStore } from "./store.js";

export interface TensorboardServiceOptions {
  samplingSeed: number;
}

export function tensorboardService(
  _store: VertexStore,
  _clock: Clock,
  _operations: Operations,
  _protos: Protos,
  _options: TensorboardServiceOptions,
): Handlers {
  return {};
}
