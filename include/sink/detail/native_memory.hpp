// The parts of the atomics seam that are the same for every backend that runs
// natively (std and Boost): plain shared variables and raw allocation, which
// only the Relacy backend needs to watch. Included by atomic_std.hpp and
// atomic_boost.hpp.
#pragma once

#include <cstddef>
#include <new>
#include <utility>

#include "sink/detail/config.hpp"

SINK_BEGIN_NAMESPACE
namespace detail {

inline constexpr bool is_model_checked = false;

// A plain (non-atomic) shared variable.
template <class T>
class var {
public:
    template <class... Args>
    explicit var(Args&&... args) : value_(std::forward<Args>(args)...) {}
    const T& get() const noexcept { return value_; }
    void set(T value) { value_ = std::move(value); }

private:
    T value_;
};

inline void* allocate_bytes(std::size_t size, std::size_t alignment) {
    return ::operator new(size, std::align_val_t{alignment});
}
inline void deallocate_bytes(void* p, std::size_t size, std::size_t alignment) noexcept {
    (void)size;  // clang before 19 does not declare sized deallocation by default
    ::operator delete(p, std::align_val_t{alignment});
}

}  // namespace detail
SINK_END_NAMESPACE
