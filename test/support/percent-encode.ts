// Percent-encoding as a careless client does it, for tests that send hostile paths and queries.

/** Percent-encoded; a lone surrogate as the bytes a careless client sends for it (invalid UTF-8). */
export const encode = (s: string) =>
  [...s]
    .map((ch) => {
      try {
        return encodeURIComponent(ch);
      } catch {
        return '%ED%A0%80';
      }
    })
    .join('');
