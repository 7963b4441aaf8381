import { useRef, type ButtonHTMLAttributes } from 'react';

type Props = Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'onClick'> & {
  /** what the file picker offers (the input's `accept`) */
  accept: string;
  /** `data-testid` of the hidden input, so end-to-end tests can set its files */
  inputTestId: string;
  onFile: (file: File) => void;
};

/**
 * A button that opens a hidden file picker and hands over the chosen file. The input is cleared
 * after each choice, so choosing the same file again imports it again.
 */
export function FilePickButton({ accept, inputTestId, onFile, children, ...button }: Props) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button {...button} onClick={() => input.current?.click()}>
        {children}
      </button>
      <input
        ref={input}
        type="file"
        accept={accept}
        hidden
        data-testid={inputTestId}
        onChange={(e) => {
          const f = e.target.files?.[0];
          e.target.value = '';
          if (f) onFile(f);
        }}
      />
    </>
  );
}
