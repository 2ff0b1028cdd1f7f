export {
  createUiApp,
  DEFAULT_POLL_INTERVAL_MS,
  LIMITS,
  type UiApp,
  type UiAppOptions,
} from "./server/app.js";
export { ApiError, type ApiErrorCode } from "./server/query.js";
export { CONTENT_SECURITY_POLICY, isLoopbackHost } from "./server/security.js";
export {
  SERIES_CONTENT_TYPE,
  SERIES_MAGIC,
  type SeriesHeader,
  type SeriesHeaderEntry,
} from "./server/series-wire.js";
export {
  DEFAULT_HOST,
  DEFAULT_PORT,
  startUiServer,
  type UiServer,
  type UiServerOptions,
} from "./server/serve.js";
