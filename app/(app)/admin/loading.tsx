// Per page folder, not for the whole signed-in group: the admin layout must decide its 403
// before anything streams (a Suspense boundary above it would send the 403 page as a 200).
export { PageLoading as default } from "../../_components/page-loading";
