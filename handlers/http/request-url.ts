const parsed = new WeakMap<Request, URL>();

/**
 * The request's URL, parsed once per request however many steps read it (the app's route lookup,
 * the route's options, links): each `new URL` is a parse and an object, per image stream too.
 * Callers read it and never change it.
 */
export function requestUrl(request: Request): URL {
  let url = parsed.get(request);
  if (url === undefined) {
    url = new URL(request.url);
    parsed.set(request, url);
  }
  return url;
}
