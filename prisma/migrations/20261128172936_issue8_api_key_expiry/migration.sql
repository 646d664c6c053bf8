-- Keys may expire: after expiresAt a key authenticates nothing, over HTTP or on an open WebSocket.
ALTER TABLE "ApiKey" ADD COLUMN "expiresAt" TIMESTAMP(3);
