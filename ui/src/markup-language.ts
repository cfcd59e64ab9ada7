/**
 * What the studio gives @codemirror/lang-liquid in place of @codemirror/lang-html (ui/build.ts
 * aliases it, for that import only): the HTML/XML tag grammar with its highlighting, without the
 * JavaScript and CSS grammars lang-html nests into <script> and <style>. Templates are SVG, or
 * satori's HTML with inline styles, and neither runs a script; the two grammars were 60 KB of the
 * studio's gzipped script, past its budget.
 */
import { parser } from "@lezer/html";
import { foldNodeProp, indentNodeProp, LanguageSupport, LRLanguage } from "@codemirror/language";

const htmlLanguage = LRLanguage.define({
  name: "html",
  parser: parser.configure({
    props: [
      indentNodeProp.add({ Element: (context) => context.column(context.node.from) + context.unit }),
      foldNodeProp.add({
        Element(node) {
          const first = node.firstChild;
          const last = node.lastChild;
          if (!first || first.name !== "OpenTag") return null;
          return { from: first.to, to: last?.name === "CloseTag" ? last.from : node.to };
        },
      }),
    ],
  }),
  languageData: { commentTokens: { block: { open: "<!--", close: "-->" } } },
});

export function html(): LanguageSupport {
  return new LanguageSupport(htmlLanguage);
}
