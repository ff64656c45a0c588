/**
 * Text a person typed, as a LIKE pattern that matches it anywhere, literally. Prisma's `contains`
 * does not escape LIKE's wildcards (prisma/prisma#19506): "john_doe" would match "johnXdoe" and
 * "%" everything. Backslash is LIKE's default escape character in PostgreSQL.
 */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

export function containsPattern(text: string): string {
  return `%${escapeLike(text)}%`;
}
