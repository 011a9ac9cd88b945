// The code editor: CodeMirror 6 with a language mode for each of the judge's languages it knows.
import { EditorView, basicSetup } from "codemirror";
import { Compartment, EditorState, type Extension } from "@codemirror/state";
import { python } from "@codemirror/lang-python";
import { cpp } from "@codemirror/lang-cpp";
import { javascript } from "@codemirror/lang-javascript";
import { java } from "@codemirror/lang-java";

/** A mode for a judge language id ("python3", "cpp17", "c", "javascript", "java"...); none if unknown. */
export function languageMode(languageId: string): Extension {
  const id = languageId.toLowerCase();
  if (id.startsWith("py")) return python();
  if (id.startsWith("c") && !id.startsWith("cs")) return cpp();
  if (id.startsWith("java") && !id.startsWith("javascript")) return java();
  if (id.startsWith("js") || id.startsWith("javascript") || id.startsWith("node") || id.startsWith("ts")) {
    return javascript({ typescript: id.startsWith("ts") });
  }
  return [];
}

export class CodeEditor {
  readonly view: EditorView;
  private readonly mode = new Compartment();

  constructor(parent: HTMLElement, doc: string, languageId: string, label: string) {
    this.view = new EditorView({
      parent,
      state: EditorState.create({
        doc,
        extensions: [
          basicSetup,
          this.mode.of(languageMode(languageId)),
          EditorView.contentAttributes.of({ "aria-label": label }),
        ],
      }),
    });
  }

  get text(): string {
    return this.view.state.doc.toString();
  }

  set text(value: string) {
    this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: value } });
  }

  setLanguage(languageId: string): void {
    this.view.dispatch({ effects: this.mode.reconfigure(languageMode(languageId)) });
  }
}
