/** `npm run test:unit` runs this first: the Bluesky tests' PDS, installed once (scripts/lib/pds.ts). */
import { ensureTestPds } from "./lib/pds";

console.info(ensureTestPds());
