// Copy the browser bundles the API docs page needs (ReDoc) from node_modules into dist/vendor,
// so the Flask app serves them itself: the docs work offline and come from the lockfile.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "dist", "vendor");
mkdirSync(vendor, { recursive: true });
copyFileSync(join(root, "node_modules", "redoc", "bundles", "redoc.standalone.js"), join(vendor, "redoc.standalone.js"));
