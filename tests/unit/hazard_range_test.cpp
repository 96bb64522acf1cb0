// Blocks retired as ranges (detail::retired_range): any published address
// inside the block keeps it, addresses outside it do not, and the usual
// hand-overs (drains, the domain's destructor, thread exit) free it exactly
// once. The map's section heads will live in such blocks (docs/proposals/
// section-heads.md, "Reclamation"): a walker protects a head, an address
// inside its segment, never the segment's first byte.
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "sink/hazard_pointer.hpp"

namespace {

using sink::hazard_pointer;
using sink::hazard_pointer_domain;
using sink::make_hazard_pointer;
using sink::reclamation_policy;
using sink::detail::hazard_domain_access;
using sink::detail::retired_range;

// A block of 16 words after its header, which counts its own frees.
struct block : retired_range {
    std::array<std::uint64_t, 16> words{};
    int* frees = nullptr;

    explicit block(int* frees_) : frees(frees_) {
        bytes = sizeof(block);
        free_range = [](retired_range* r) noexcept {
            auto* self = static_cast<block*>(r);
            ++*self->frees;
            delete self;
        };
    }
};

class RetiredRange : public ::testing::TestWithParam<reclamation_policy> {};

TEST_P(RetiredRange, AnAddressInsideTheBlockKeepsItUntilItsProtectionEnds) {
    hazard_pointer_domain domain(GetParam());
    int frees = 0;
    auto* b = new block(&frees);
    hazard_pointer hp = make_hazard_pointer(domain);
    hp.reset_protection(&b->words[7]);  // not the block's first byte
    hazard_domain_access::retire_range(domain, b);
    domain.drain();
    EXPECT_EQ(frees, 0) << "freed while a hazard pointer showed an address inside it";
    hp.reset_protection(reinterpret_cast<const unsigned char*>(b) + sizeof(block) - 1);  // its last byte
    domain.drain();
    EXPECT_EQ(frees, 0) << "freed while a hazard pointer showed its last byte";
    hp.reset_protection(b);  // its first byte (the header's address)
    domain.drain();
    EXPECT_EQ(frees, 0) << "freed while a hazard pointer showed its first byte";
    hp.reset_protection();
    EXPECT_EQ(domain.drain(), 1u);
    EXPECT_EQ(frees, 1);
}

TEST_P(RetiredRange, AddressesJustOutsideTheBlockDoNotKeepIt) {
    hazard_pointer_domain domain(GetParam());
    int frees = 0;
    auto* b = new block(&frees);
    hazard_pointer before = make_hazard_pointer(domain);
    hazard_pointer after = make_hazard_pointer(domain);
    // Published only, never read: the byte before the block, and the one
    // just past its end (which may be the next object's first byte).
    const auto start = reinterpret_cast<std::uintptr_t>(b);
    before.reset_protection(reinterpret_cast<const unsigned char*>(start - 1));
    after.reset_protection(reinterpret_cast<const unsigned char*>(start + sizeof(block)));
    hazard_domain_access::retire_range(domain, b);
    domain.drain();  // the eager policy has freed it already
    EXPECT_EQ(frees, 1);
}

TEST_P(RetiredRange, ManyRangesAndManyHazardsAreMatchedInEveryPass) {
    // More hazards than one pass of a scan compares (256): block 0's address
    // is published first, then 600 addresses of no block, then block 1's,
    // so that they fall in different passes (256, 256, 90); block 2 is
    // published nowhere. Both published blocks survive, the other is freed.
    hazard_pointer_domain domain(GetParam());
    std::array<int, 3> frees{};
    std::array<block*, 3> blocks{};
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        blocks[i] = new block(&frees[i]);
    }
    auto unrelated = std::make_unique<std::array<std::uint64_t, 600>>();
    std::vector<hazard_pointer> hps;
    hps.push_back(make_hazard_pointer(domain));
    hps.back().reset_protection(&blocks[0]->words[5]);
    for (std::uint64_t& w : *unrelated) {
        hps.push_back(make_hazard_pointer(domain));
        hps.back().reset_protection(&w);
    }
    hps.push_back(make_hazard_pointer(domain));
    hps.back().reset_protection(&blocks[1]->words[9]);
    for (block* b : blocks) {
        hazard_domain_access::retire_range(domain, b);
    }
    domain.drain();
    EXPECT_EQ(frees[0], 0) << "kept only by a hazard of the first pass";
    EXPECT_EQ(frees[1], 0) << "kept only by a hazard of the last pass";
    EXPECT_EQ(frees[2], 1);
    hps.clear();
    domain.drain();
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        EXPECT_EQ(frees[i], 1) << "block " << i;
    }
}

TEST_P(RetiredRange, AThreadsExitFreesAnUnprotectedRange) {
    hazard_pointer_domain domain(GetParam());
    int frees = 0;
    auto* b = new block(&frees);
    std::thread([&] { hazard_domain_access::retire_range(domain, b); }).join();
    EXPECT_EQ(frees, 1) << "the exiting thread's scan frees what nothing protects";
}

TEST_P(RetiredRange, ThreadExitAndTheDomainsDestructorFreeItOnce) {
    int frees = 0;
    {
        hazard_pointer_domain domain(GetParam());
        auto* b = new block(&frees);
        hazard_pointer hp = make_hazard_pointer(domain);
        hp.reset_protection(&b->words[3]);
        std::thread([&] { hazard_domain_access::retire_range(domain, b); }).join();
        EXPECT_EQ(frees, 0);
        EXPECT_EQ(domain.stats().backlog, 1u);
        hp = hazard_pointer();  // the slot goes back before the domain does
    }
    EXPECT_EQ(frees, 1);
}

INSTANTIATE_TEST_SUITE_P(Policies, RetiredRange,
                         ::testing::Values(reclamation_policy::lazy, reclamation_policy::eager),
                         [](const auto& info) {
                             return info.param == reclamation_policy::lazy ? std::string("lazy")
                                                                           : std::string("eager");
                         });

}  // namespace
