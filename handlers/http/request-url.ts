/** On the request itself, under a symbol of this module's: cheaper per request than a WeakMap entry (body.ts). */
const PARSED = Symbol("rsvg.url");

/**
 * The request's URL, parsed once per request however many steps read it (the app's route lookup,
 * the route's options, links): each `new URL` is a parse and an object, per image stream too.
 * Callers read it and never change it.
 */
export function requestUrl(request: Request): URL {
  const holder = request as Request & { [PARSED]?: URL };
  return (holder[PARSED] ??= new URL(request.url));
}
