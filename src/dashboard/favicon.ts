/** The dashboard's icon: a rune-like mark, served from this origin (the CSP allows images from 'self' only). */
export const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">' +
  '<rect width="16" height="16" rx="3" fill="#1f2937"/>' +
  '<path d="M5 3v10M5 4l6 4-6 4M11 3v10" stroke="#f9fafb" stroke-width="1.6" fill="none"/></svg>';
