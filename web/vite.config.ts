// The operator console's front end: built into dist/web/, served by the console service (services/console/routes/home.ts).
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [preact()],
  build: { outDir: '../dist/web', emptyOutDir: true, sourcemap: true },
});
