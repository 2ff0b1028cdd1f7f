/**
 * A decoded request message, as proto-loader hands it to a handler (camelCase fields, defaults
 * filled in). Each handler reads the fields its method defines and checks them itself.
 */
// biome-ignore lint/suspicious/noExplicitAny: requests are shaped by the .proto files, checked field by field by the handlers
export type Request = any;

/** A unary handler: returns the response message or throws an `RpcError`. */
export type Handler = (request: Request) => object;

export type Handlers = Record<string, Handler>;
