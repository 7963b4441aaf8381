CREATE TABLE "request_stats" (
	"endpoint_id" text NOT NULL,
	"source" text NOT NULL,
	"version" integer NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"requests" integer NOT NULL,
	"errors" integer NOT NULL,
	"codes" jsonb NOT NULL,
	"latency" jsonb NOT NULL,
	CONSTRAINT "request_stats_endpoint_id_source_version_minute_pk" PRIMARY KEY("endpoint_id","source","version","minute")
);
--> statement-breakpoint
ALTER TABLE "request_stats" ADD CONSTRAINT "request_stats_endpoint_id_endpoints_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "public"."endpoints"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "request_stats_endpoint_minute" ON "request_stats" USING btree ("endpoint_id","minute");