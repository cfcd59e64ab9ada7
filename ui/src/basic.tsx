/** Pages with nothing to run but the language switch (the 404 page). */
import { languageSwitch } from "./common.js";

languageSwitch();
