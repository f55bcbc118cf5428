// The catalogue's categories: seeded by seed.ts, browsed by the demo scenario (which runs in the load process).

/** Categories of the catalogue (`GET /products?category=`). */
export const CATEGORIES = [
  'books',
  'garden',
  'kitchen',
  'music',
  'office',
  'outdoor',
  'shoes',
  'sports',
  'tools',
  'toys',
] as const
