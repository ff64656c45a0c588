-- The delivery log (issue 17): a state together with a person or a network is what support asks
-- most ("this person's failures", "is qq failing?"). With only the single-filter indexes of
-- 20261203000000_admin, EXPLAIN at a million rows showed those pages reading every delivery in
-- the state: a person + FAILED page was a BitmapAnd over all failed rows plus a sort, and
-- qq + FAILED walked the state index filtering out ~14,000 other networks' failures (failures
-- cluster on the network that is down). With these, each is one index walk that stops after a page.
CREATE INDEX "deliveries_user_id_state_created_at_id_idx" ON "deliveries"("user_id", "state", "created_at", "id");
CREATE INDEX "deliveries_network_id_state_created_at_id_idx" ON "deliveries"("network_id", "state", "created_at", "id");
