ALTER TABLE "model_versions" ADD COLUMN "owner_id" text;--> statement-breakpoint
ALTER TABLE "model_versions" ADD COLUMN "lease_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "model_versions" ADD COLUMN "attempts" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "model_versions" ADD COLUMN "verified_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "model_versions_pending" ON "model_versions" USING btree ("status","lease_expires_at");--> statement-breakpoint
CREATE INDEX "model_versions_verified" ON "model_versions" USING btree ("status","verified_at");