/**
 * The studio's two CodeMirror editors: the template (Liquid over HTML, which covers SVG's tags and
 * attributes) and the arguments (JSON). Each is labelled through its content element's
 * aria-label; CodeMirror's <style> elements carry the page's nonce (the CSP allows styles by nonce).
 */
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { json } from "@codemirror/lang-json";
import { liquid } from "@codemirror/lang-liquid";
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { lintGutter, setDiagnostics, type Diagnostic } from "@codemirror/lint";
import { EditorState } from "@codemirror/state";
import { EditorView, keymap, lineNumbers } from "@codemirror/view";
import { nonce } from "./common.js";

export interface Editor {
  view: EditorView;
  /** Replaces the whole text (from the form), without echoing it back as a change. */
  set(text: string): void;
  /** Marks an error at a line and column (1-based), or clears the marks. */
  mark(error: { line: number; column: number; message: string } | null): void;
}

export function createEditor(parent: HTMLElement, options: { text: string; label: string; language: "liquid" | "json"; onChange: (text: string) => void }): Editor {
  let quiet = false;
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: options.text,
      extensions: [
        lineNumbers(),
        history(),
        bracketMatching(),
        syntaxHighlighting(defaultHighlightStyle),
        lintGutter(),
        // No Tab binding: Tab moves focus on, so the page works by keyboard without a trap.
        keymap.of([...defaultKeymap, ...historyKeymap]),
        options.language === "liquid" ? liquid() : json(),
        EditorView.lineWrapping,
        EditorView.cspNonce.of(nonce),
        EditorView.contentAttributes.of({ "aria-label": options.label }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged && !quiet) options.onChange(update.state.doc.toString());
        }),
      ],
    }),
  });
  return {
    view,
    set(text) {
      if (text === view.state.doc.toString()) return;
      quiet = true;
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
      quiet = false;
    },
    mark(error) {
      const diagnostics: Diagnostic[] = [];
      if (error) {
        const doc = view.state.doc;
        const line = doc.line(Math.min(Math.max(error.line, 1), doc.lines));
        const from = Math.min(line.from + Math.max(error.column - 1, 0), line.to);
        diagnostics.push({ from, to: Math.max(from, Math.min(from + 1, line.to)), severity: "error", message: error.message });
      }
      view.dispatch(setDiagnostics(view.state, diagnostics));
    },
  };
}
