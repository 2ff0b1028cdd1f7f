/** JSON for stored objects: core's codec, which keeps NaN, ±Infinity and -0 exactly. */
export { parseJson as decode, stringifyJson as encode } from "@exprun/core";
