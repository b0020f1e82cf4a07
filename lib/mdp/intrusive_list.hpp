// A minimal intrusive doubly linked list: the broker's queues link their elements through a
// hook the element inherits, so that pushing, popping and unlinking an element from the
// middle (a worker that dies, a client that leaves) are O(1) and never allocate.
// An element can be in several lists at once, one per hook tag:
//   struct request_t : list_hook_t<in_service_queue>, list_hook_t<of_client> { ... };
#pragma once

#include <cstddef>

namespace zd::mdp {

template <typename Tag>
struct list_hook_t {
    list_hook_t* previous = nullptr;
    list_hook_t* next = nullptr;
    bool linked() const { return next != nullptr; }
};

template <typename T, typename Tag>
class intrusive_list_t {
    using hook_t = list_hook_t<Tag>;

public:
    intrusive_list_t() { head_.previous = head_.next = &head_; }
    intrusive_list_t(const intrusive_list_t&) = delete;
    intrusive_list_t& operator=(const intrusive_list_t&) = delete;
    ~intrusive_list_t() { clear(); }

    bool empty() const { return head_.next == &head_; }
    std::size_t size() const { return size_; }

    T* front() const { return empty() ? nullptr : element(head_.next); }
    T* back() const { return empty() ? nullptr : element(head_.previous); }
    // The element after item, or null at the end.
    T* next(T* item) const {
        hook_t* after = hook(item)->next;
        return after == &head_ ? nullptr : element(after);
    }

    void push_back(T* item) { link_before(&head_, hook(item)); }
    void push_front(T* item) { link_before(head_.next, hook(item)); }

    T* pop_front() {
        T* item = front();
        if (item) erase(item);
        return item;
    }

    // Unlinks item, which must be in this list.
    void erase(T* item) {
        hook_t* h = hook(item);
        h->previous->next = h->next;
        h->next->previous = h->previous;
        h->previous = h->next = nullptr;
        --size_;
    }

    // Unlinks every element (does not destroy them).
    void clear() {
        while (!empty())
            pop_front();
    }

private:
    static hook_t* hook(T* item) { return static_cast<hook_t*>(item); }
    static T* element(hook_t* h) { return static_cast<T*>(h); }

    void link_before(hook_t* position, hook_t* h) {
        h->next = position;
        h->previous = position->previous;
        position->previous->next = h;
        position->previous = h;
        ++size_;
    }

    // The head is a hook that is never an element; it is only compared, never cast.
    hook_t head_;
    std::size_t size_ = 0;
};

} // namespace zd::mdp
