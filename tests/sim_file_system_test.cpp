// The simulated disk of the power-loss tests keeps what it promises to keep
// and loses, at random, what it may lose.
#include "sim_file_system.hpp"

#include <gtest/gtest.h>

#include <set>

namespace ballast::testing {
namespace {

using sequencer::FileError;

TEST(SimFileSystem, KeepsWhatWasSyncedAndAtMostAPrefixOfTheRest) {
    const std::string synced(5000, 's'), later(9000, 'l');
    std::set<std::size_t> sizes;
    for (std::uint64_t seed = 1; seed <= 200; ++seed) {
        SimFileSystem disk;
        disk.create_directories("/d");
        auto file = disk.create("/d/f");
        disk.sync_directory("/d");
        file->append(synced);
        file->sync();
        file->append(later);
        std::mt19937_64 random(seed);
        disk.power_cut(random);
        EXPECT_THROW(disk.read("/d/f"), FileError) << "the power is off";
        disk.power_on();
        EXPECT_THROW(file->append("x"), FileError) << "a file opened before the cut is dead";
        const std::string after = disk.read("/d/f");
        ASSERT_GE(after.size(), synced.size()) << "seed " << seed;
        ASSERT_LE(after.size(), synced.size() + later.size());
        EXPECT_EQ(after.substr(0, synced.size()), synced) << "seed " << seed;
        // Beyond the synced bytes: the new bytes, then possibly zeros, nothing else.
        const std::size_t zeros_from = after.find_first_not_of('l', synced.size());
        if (zeros_from != std::string::npos) {
            EXPECT_EQ(after.find_first_not_of('\0', zeros_from), std::string::npos) << "seed " << seed;
        }
        sizes.insert(after.size());
    }
    EXPECT_GT(sizes.size(), 10u) << "cuts keep different amounts: whole pages, torn pages, zeros";
    EXPECT_TRUE(sizes.count(synced.size())) << "sometimes nothing unsynced survives";
    EXPECT_TRUE(sizes.count(synced.size() + later.size())) << "sometimes everything does";
}

TEST(SimFileSystem, ANameIsDurableOnlyOnceItsDirectoryIsSynced) {
    int created_survived = 0, renamed_survived = 0;
    for (std::uint64_t seed = 1; seed <= 100; ++seed) {
        SimFileSystem disk;
        disk.create_directories("/d");
        auto kept = disk.create("/d/kept");
        kept->append("k");
        kept->sync();
        disk.sync_directory("/d");
        auto file = disk.create("/d/new.tmp");
        file->append("data");
        file->sync();
        disk.rename("/d/kept", "/d/renamed");
        std::mt19937_64 random(seed);
        disk.power_cut(random);
        disk.power_on();
        const auto names = disk.list("/d");
        const std::set<std::string> listed(names.begin(), names.end());
        // The two changes are kept in order: the rename only with the create.
        if (listed.count("renamed")) {
            EXPECT_TRUE(listed.count("new.tmp")) << "seed " << seed;
        }
        EXPECT_NE(listed.count("kept"), listed.count("renamed")) << "a rename is atomic, seed " << seed;
        created_survived += static_cast<int>(listed.count("new.tmp"));
        renamed_survived += static_cast<int>(listed.count("renamed"));
        if (listed.count("new.tmp")) {
            EXPECT_EQ(disk.read("/d/new.tmp"), "data") << "its bytes were synced";
        }
    }
    EXPECT_GT(created_survived, 0);
    EXPECT_LT(created_survived, 100) << "an unsynced create is sometimes lost";
    EXPECT_GT(renamed_survived, 0);
    EXPECT_LT(renamed_survived, 100) << "an unsynced rename is sometimes lost";

    SimFileSystem disk;
    disk.create_directories("/d");
    auto file = disk.create("/d/f");
    file->sync();
    disk.sync_directory("/d");
    disk.rename("/d/f", "/d/g");
    disk.sync_directory("/d");
    std::mt19937_64 random(7);
    disk.power_cut(random);
    disk.power_on();
    EXPECT_EQ(disk.list("/d"), std::vector<std::string>{"g"}) << "a synced rename stays";
}

}  // namespace
}  // namespace ballast::testing
