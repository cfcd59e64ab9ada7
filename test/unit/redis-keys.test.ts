import { describe, expect, it } from "vitest";
import { channelKey, keySlot, sessionKey, shardChannelKey, shardChannelOf, tombstoneKey } from "../../runtime/stores/keys.js";
import { COMMIT_LUA, CREATE_LUA, DELETE_LUA, shardedScript } from "../../runtime/stores/session-scripts.js";

/** The Redis Cluster side of the key schema; test/redis-topologies.test.ts checks keySlot against a real cluster too. */
describe("Redis Cluster keys", () => {
  it("computes Redis's slot: CRC16/XMODEM of the hash tag, else of the whole key, mod 16384", () => {
    // CRC16/XMODEM's check value for "123456789" is 0x31C3.
    expect(keySlot("123456789")).toBe(0x31c3);
    expect(keySlot("{user1000}.following")).toBe(keySlot("{user1000}.followers"));
    expect(keySlot("foo{}{bar}")).not.toBe(keySlot("bar")); // an empty first tag: the whole key
    expect(keySlot("foo{{bar}}zap")).toBe(keySlot("{bar")); // the tag ends at the first }
  });

  it("puts a session's record, tombstone and sharded channel in one slot, for any valid id", () => {
    for (const id of ["a", "badge-1", "Z.9_x", "x".repeat(128)]) {
      const slot = keySlot(sessionKey("rsvg:", id));
      expect(keySlot(tombstoneKey("rsvg:", id))).toBe(slot);
      expect(keySlot(shardChannelKey("rsvg:", id))).toBe(slot);
      expect(shardChannelOf("rsvg:", shardChannelKey("rsvg:", id))).toBe(id);
    }
    expect(shardChannelOf("rsvg:", channelKey("rsvg:", "a"))).toBeNull();
    expect(shardChannelOf("other:", shardChannelKey("rsvg:", "a"))).toBeNull();
  });

  it("the Cluster's scripts differ only in announcing with SPUBLISH", () => {
    for (const lua of [CREATE_LUA, COMMIT_LUA, DELETE_LUA]) {
      const sharded = shardedScript(lua);
      expect(sharded).not.toMatch(/redis\.call\('PUBLISH'/);
      expect(sharded.match(/redis\.call\('SPUBLISH'/g)).toHaveLength(lua.match(/redis\.call\('PUBLISH'/g)!.length);
      expect(sharded.replaceAll("SPUBLISH", "PUBLISH")).toBe(lua);
    }
  });
});
