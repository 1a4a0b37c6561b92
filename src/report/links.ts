/**
 * Links in generated pages are built from path segments only, each one encoded: a run folder
 * named `javascript:alert(1)` becomes `./javascript%3Aalert(1)/index.html`, a relative link to
 * that folder, never a live URL of another scheme or a path out of the folder.
 */

/** A relative href (starting with `./`) to the file at these path segments, each encoded. */
export function relativeHref(...segments: string[]): string {
  return `./${segments.map((s) => encodeURIComponent(s)).join('/')}`;
}
