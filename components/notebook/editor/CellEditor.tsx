'use client';
import { useEffect, useRef, useState } from 'react';
import type { editor as MonacoEditor, IDisposable } from 'monaco-editor';
import { useNotebookStore } from '../notebook-store';
import { loadMonaco, type Monaco } from './monaco';

const LINE_HEIGHT = 19;
const PADDING = 6;

export interface CellEditorProps {
  cellId: string;
  index: number;
  /** 1-based line of the last run's error, highlighted in the editor */
  errorLine?: number;
  errorMessage?: string;
  /** after a pause in typing (~400 ms) or when the editor loses focus */
  onCommit(): void;
  /** Shift+Enter */
  onRun(): void;
}

/**
 * One cell's Monaco editor, as tall as its content. The store holds the source: typing writes it,
 * and a source changed elsewhere (import, the test hook) is written into the editor's model.
 */
export function CellEditor({ cellId, index, errorLine, errorMessage, onCommit, onRun }: CellEditorProps) {
  const box = useRef<HTMLDivElement>(null);
  const ed = useRef<MonacoEditor.IStandaloneCodeEditor | null>(null);
  const monacoRef = useRef<Monaco | null>(null);
  const decorations = useRef<MonacoEditor.IEditorDecorationsCollection | null>(null);
  const source = useNotebookStore((s) => s.cells.find((c) => c.id === cellId)?.source ?? '');
  const [failed, setFailed] = useState<string | null>(null);
  const [ready, setReady] = useState(false);
  // The latest callbacks, for Monaco's listeners bound once.
  const cb = useRef({ onCommit, onRun });
  useEffect(() => {
    cb.current = { onCommit, onRun };
  });

  useEffect(() => {
    let disposed = false;
    const subs: IDisposable[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    let resize: ResizeObserver | undefined;
    loadMonaco()
      .then((monaco) => {
        if (disposed || !box.current) return;
        monacoRef.current = monaco;
        const uri = monaco.Uri.parse(`file:///cells/${cellId}.ts`);
        const initial = useNotebookStore.getState().cells.find((c) => c.id === cellId)?.source ?? '';
        const model = monaco.editor.getModel(uri) ?? monaco.editor.createModel(initial, 'typescript', uri);
        if (model.getValue() !== initial) model.setValue(initial);
        const editor = monaco.editor.create(box.current, {
          model,
          automaticLayout: false,
          minimap: { enabled: false },
          scrollBeyondLastLine: false,
          scrollbar: { vertical: 'hidden', alwaysConsumeMouseWheel: false, horizontalScrollbarSize: 8 },
          overviewRulerLanes: 0,
          hideCursorInOverviewRuler: true,
          lineNumbersMinChars: 3,
          fontSize: 13,
          lineHeight: LINE_HEIGHT,
          padding: { top: PADDING, bottom: PADDING },
          renderLineHighlightOnlyWhenFocus: true,
          wordWrap: 'on',
          tabSize: 2,
          fixedOverflowWidgets: true,
        });
        ed.current = editor;
        decorations.current = editor.createDecorationsCollection();
        const fit = () => {
          if (!box.current) return;
          const h = Math.max(LINE_HEIGHT + 2 * PADDING, editor.getContentHeight());
          box.current.style.height = `${h}px`;
          editor.layout({ width: box.current.clientWidth, height: h });
        };
        subs.push(editor.onDidContentSizeChange(fit));
        resize = new ResizeObserver(fit);
        resize.observe(box.current);
        fit();
        subs.push(
          model.onDidChangeContent(() => {
            useNotebookStore.getState().setSource(cellId, model.getValue());
            clearTimeout(timer);
            timer = setTimeout(() => cb.current.onCommit(), 400);
          }),
        );
        subs.push(
          editor.onDidBlurEditorText(() => {
            clearTimeout(timer);
            cb.current.onCommit();
          }),
        );
        editor.addCommand(monaco.KeyMod.Shift | monaco.KeyCode.Enter, () => {
          clearTimeout(timer);
          useNotebookStore.getState().setSource(cellId, model.getValue());
          cb.current.onRun();
        });
        setReady(true);
        requestAnimationFrame(fit);
      })
      .catch((e: unknown) => {
        if (!disposed) setFailed(`The editor could not load: ${(e as Error).message}`);
      });
    return () => {
      disposed = true;
      clearTimeout(timer);
      resize?.disconnect();
      for (const s of subs) s.dispose();
      const editor = ed.current;
      ed.current = null;
      editor?.getModel()?.dispose();
      editor?.dispose();
    };
  }, [cellId]);

  useEffect(() => {
    ed.current?.updateOptions({ ariaLabel: `cell ${index + 1} source` });
  }, [index, ready]);

  // A source changed outside the editor (import, test hook) goes into the model.
  useEffect(() => {
    const model = ed.current?.getModel();
    if (model && model.getValue() !== source) model.setValue(source);
  }, [source, ready]);

  // The last run's error: its line highlighted, the message as a marker on it.
  useEffect(() => {
    const monaco = monacoRef.current;
    const editor = ed.current;
    const model = editor?.getModel();
    if (!monaco || !editor || !model) return;
    const line = errorLine && errorLine >= 1 && errorLine <= model.getLineCount() ? errorLine : null;
    decorations.current?.set(line ? [{ range: new monaco.Range(line, 1, line, 1), options: { isWholeLine: true, className: 'nb-err-line', linesDecorationsClassName: 'nb-err-gutter' } }] : []);
    monaco.editor.setModelMarkers(
      model,
      'kiln-run',
      line ? [{ severity: monaco.MarkerSeverity.Error, message: errorMessage ?? 'error', startLineNumber: line, startColumn: 1, endLineNumber: line, endColumn: model.getLineMaxColumn(line) }] : [],
    );
  }, [errorLine, errorMessage, ready]);

  if (failed) return <p className="error small">{failed}</p>;
  return (
    <div className="nb-editor" data-testid={`nb-editor-${index}`}>
      {/* Its height is set by Monaco's content height (imperatively, not by React). */}
      <div ref={box} className="nb-editor-box" hidden={!ready} />
      {!ready ? <pre className="nb-editor-fallback">{source || ' '}</pre> : null}
    </div>
  );
}
