// The text of a PDF written by pdfkit, for tests: every content stream inflated, and each text-showing
// operator (TJ, Tj with hex strings in the standard fonts' WinAnsi encoding) read as one piece, in the
// order drawn. Enough to find a label and the values printed after it; not a general PDF reader.
import { inflateSync } from 'node:zlib';

export function pdfTexts(pdf: Buffer): string[] {
  const raw = pdf.toString('latin1');
  const out: string[] = [];
  for (const m of raw.matchAll(/stream\r?\n([\s\S]*?)\r?\nendstream/g)) {
    let content: string;
    try {
      content = inflateSync(Buffer.from(m[1]!, 'latin1')).toString('latin1');
    } catch {
      continue; // not a deflated stream (a font, an image)
    }
    for (const t of content.matchAll(/\[((?:<[0-9a-fA-F]*>|[-\d.\s])*)\]\s*TJ|<([0-9a-fA-F]*)>\s*Tj/g)) {
      const hex = t[1] !== undefined ? [...t[1].matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => h[1]!).join('') : t[2]!;
      out.push(Buffer.from(hex, 'hex').toString('latin1'));
    }
  }
  return out;
}

/** The pieces printed right after the first piece equal to `label`. */
export function after(texts: readonly string[], label: string, n: number): string[] {
  const i = texts.indexOf(label);
  if (i < 0) throw new Error(`not in the PDF: ${label}`);
  return texts.slice(i + 1, i + 1 + n);
}
