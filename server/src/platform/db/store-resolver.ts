/**
 * Which database holds a project's data: the one place a request's project becomes a store.
 *
 * Today one database holds every project (`singleStore`). libSQL has one writer per database,
 * so write throughput grows with projects only if each project gets a database of its own; a
 * resolver that opens (and caches) one store per project id is then the only change the write
 * paths that ask here need (docs/scale.md). Generic so platform/ stays ignorant of what a
 * module keeps beside its store (the projector, say).
 */
export interface StoreResolver<T> {
  /** The store (and what goes with it) holding `projectId`'s data. */
  forProject(projectId: string): T;
}

/** Every project in one database. */
export function singleStore<T>(value: T): StoreResolver<T> {
  return { forProject: () => value };
}
