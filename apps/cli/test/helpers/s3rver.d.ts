// The part of s3rver 3.7 (a real S3 HTTP server in Node) these tests use; it ships no types.
declare module "s3rver" {
  interface Store {
    deleteObject(bucket: string, key: string): Promise<void>;
    getResourcePath(bucket: string, key: string, kind: string): string;
  }
  interface Options {
    address?: string;
    port?: number;
    directory: string;
    silent?: boolean;
    configureBuckets?: { name: string }[];
  }
  export default class S3rver {
    constructor(options: Options);
    readonly store: Store;
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  }
}
