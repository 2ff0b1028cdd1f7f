import type { Page, PageRequest } from "./types.js";

/** Reads every page of a paged backend call. */
export async function collectPages<T>(read: (page: PageRequest) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let pageToken: string | undefined;
  do {
    const page = await read({ pageToken });
    items.push(...page.items);
    pageToken = page.nextPageToken || undefined;
  } while (pageToken);
  return items;
}
