import { apiRoute } from "@/lib/api/handler";
import { AppError } from "@/lib/errors";

/** Unknown API paths answer in the API's JSON error form rather than with the HTML 404 page. */
const unknownRoute = apiRoute(async ({ req }) => {
  throw new AppError(
    "not_found",
    `no API route matches ${req.method} ${new URL(req.url).pathname}; see /api/openapi.json`,
  );
});

export {
  unknownRoute as GET,
  unknownRoute as POST,
  unknownRoute as PUT,
  unknownRoute as PATCH,
  unknownRoute as DELETE,
};
