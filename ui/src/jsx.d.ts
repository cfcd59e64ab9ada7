export {};

declare module "preact" {
  namespace JSX {
    interface IntrinsicElements {
      /** The live image element of /embed.js (handlers/http/embed-element.ts). */
      "realtime-svg": HTMLAttributes<HTMLElement> & { session: string; alt?: string };
    }
  }
}
