// PyTorch's CPU topk row by row (see dk_index.h): the same (value, index) pairs put through the same
// libstdc++ selection and sorting algorithms with the same comparators, so that ties (and NaNs) come
// out in exactly PyTorch's order.
//
// PyTorch (aten/src/ATen/native/TopKImpl.h, topk_impl_loop) fills a vector of (value, index) pairs
// for the row, then, with comp(x, y) = (isnan(x) && !isnan(y)) || x > y for largest and
// (!isnan(x) && isnan(y)) || x < y for smallest:
//   k * 64 <= n:  std::partial_sort(q, q + k, q + n, comp)
//   otherwise:    std::nth_element(q, q + k - 1, q + n, comp), then if sorted std::sort(q, q + k - 1, comp)
// and returns q[0 ..< k]. The functions below are libstdc++'s (bits/stl_algo.h, bits/stl_heap.h:
// __heap_select, __sort_heap, __adjust_heap, __push_heap, __introselect, __introsort_loop,
// __unguarded_partition_pivot, __move_median_to_first, __final_insertion_sort, ...) transcribed
// step for step: every comparison, move and swap in the same order, so equal keys end up where
// libstdc++ leaves them.
#include "dk_index.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__FAST_MATH__) || defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__
#error "topk.c must be compiled without -ffast-math: it tests for NaN"
#endif

typedef struct { double v; int64_t i; } tk_elem;

// The comparator (PyTorch's lambdas; only the value takes part).
static inline int tk_less(int largest, const tk_elem *x, const tk_elem *y) {
  if (largest) return (isnan(x->v) && !isnan(y->v)) || x->v > y->v;
  return (!isnan(x->v) && isnan(y->v)) || x->v < y->v;
}

static inline void tk_swap(tk_elem *a, tk_elem *b) { tk_elem t = *a; *a = *b; *b = t; }

// std::__lg: floor(log2(n)), n > 0.
static inline int64_t tk_lg(int64_t n) {
  int64_t r = 0;
  while (n >>= 1) r++;
  return r;
}

// ---- bits/stl_heap.h ----

static void tk_push_heap(int L, tk_elem *first, int64_t hole, int64_t top, tk_elem value) {
  int64_t parent = (hole - 1) / 2;
  while (hole > top && tk_less(L, first + parent, &value)) {
    first[hole] = first[parent];
    hole = parent;
    parent = (hole - 1) / 2;
  }
  first[hole] = value;
}

static void tk_adjust_heap(int L, tk_elem *first, int64_t hole, int64_t len, tk_elem value) {
  const int64_t top = hole;
  int64_t second = hole;
  while (second < (len - 1) / 2) {
    second = 2 * (second + 1);
    if (tk_less(L, first + second, first + (second - 1))) second--;
    first[hole] = first[second];
    hole = second;
  }
  if ((len & 1) == 0 && second == (len - 2) / 2) {
    second = 2 * (second + 1);
    first[hole] = first[second - 1];
    hole = second - 1;
  }
  tk_push_heap(L, first, hole, top, value);
}

// __pop_heap(first, last, result): the top goes to *result, *result's old value sifts into [first, last).
static void tk_pop_heap(int L, tk_elem *first, tk_elem *last, tk_elem *result) {
  tk_elem value = *result;
  *result = *first;
  tk_adjust_heap(L, first, 0, last - first, value);
}

static void tk_make_heap(int L, tk_elem *first, tk_elem *last) {
  if (last - first < 2) return;
  const int64_t len = last - first;
  int64_t parent = (len - 2) / 2;
  for (;;) {
    tk_elem value = first[parent];
    tk_adjust_heap(L, first, parent, len, value);
    if (parent == 0) return;
    parent--;
  }
}

static void tk_sort_heap(int L, tk_elem *first, tk_elem *last) {
  while (last - first > 1) {
    --last;
    tk_pop_heap(L, first, last, last);
  }
}

// ---- bits/stl_algo.h ----

static void tk_heap_select(int L, tk_elem *first, tk_elem *middle, tk_elem *last) {
  tk_make_heap(L, first, middle);
  for (tk_elem *i = middle; i < last; ++i)
    if (tk_less(L, i, first)) tk_pop_heap(L, first, middle, i);
}

static void tk_partial_sort(int L, tk_elem *first, tk_elem *middle, tk_elem *last) {
  tk_heap_select(L, first, middle, last);
  tk_sort_heap(L, first, middle);
}

static void tk_move_median_to_first(int L, tk_elem *result, tk_elem *a, tk_elem *b, tk_elem *c) {
  if (tk_less(L, a, b)) {
    if (tk_less(L, b, c)) tk_swap(result, b);
    else if (tk_less(L, a, c)) tk_swap(result, c);
    else tk_swap(result, a);
  } else if (tk_less(L, a, c)) tk_swap(result, a);
  else if (tk_less(L, b, c)) tk_swap(result, c);
  else tk_swap(result, b);
}

static tk_elem *tk_unguarded_partition(int L, tk_elem *first, tk_elem *last, const tk_elem *pivot) {
  for (;;) {
    while (tk_less(L, first, pivot)) ++first;
    --last;
    while (tk_less(L, pivot, last)) --last;
    if (!(first < last)) return first;
    tk_swap(first, last);
    ++first;
  }
}

static tk_elem *tk_unguarded_partition_pivot(int L, tk_elem *first, tk_elem *last) {
  tk_elem *mid = first + (last - first) / 2;
  tk_move_median_to_first(L, first, first + 1, mid, last - 1);
  return tk_unguarded_partition(L, first + 1, last, first);
}

static void tk_unguarded_linear_insert(int L, tk_elem *last) {
  tk_elem val = *last;
  tk_elem *next = last - 1;
  while (tk_less(L, &val, next)) {
    *last = *next;
    last = next;
    --next;
  }
  *last = val;
}

static void tk_insertion_sort(int L, tk_elem *first, tk_elem *last) {
  if (first == last) return;
  for (tk_elem *i = first + 1; i != last; ++i) {
    if (tk_less(L, i, first)) {
      tk_elem val = *i;
      memmove(first + 1, first, (size_t)(i - first) * sizeof(tk_elem));   // move_backward
      *first = val;
    } else {
      tk_unguarded_linear_insert(L, i);
    }
  }
}

static void tk_unguarded_insertion_sort(int L, tk_elem *first, tk_elem *last) {
  for (tk_elem *i = first; i != last; ++i) tk_unguarded_linear_insert(L, i);
}

enum { TK_THRESHOLD = 16 };   // _S_threshold

static void tk_final_insertion_sort(int L, tk_elem *first, tk_elem *last) {
  if (last - first > TK_THRESHOLD) {
    tk_insertion_sort(L, first, first + TK_THRESHOLD);
    tk_unguarded_insertion_sort(L, first + TK_THRESHOLD, last);
  } else {
    tk_insertion_sort(L, first, last);
  }
}

static void tk_introsort_loop(int L, tk_elem *first, tk_elem *last, int64_t depth) {
  while (last - first > TK_THRESHOLD) {
    if (depth == 0) {
      tk_partial_sort(L, first, last, last);
      return;
    }
    --depth;
    tk_elem *cut = tk_unguarded_partition_pivot(L, first, last);
    tk_introsort_loop(L, cut, last, depth);
    last = cut;
  }
}

// std::sort
static void tk_sort(int L, tk_elem *first, tk_elem *last) {
  if (first != last) {
    tk_introsort_loop(L, first, last, tk_lg(last - first) * 2);
    tk_final_insertion_sort(L, first, last);
  }
}

static void tk_introselect(int L, tk_elem *first, tk_elem *nth, tk_elem *last, int64_t depth) {
  while (last - first > 3) {
    if (depth == 0) {
      tk_heap_select(L, first, nth + 1, last);
      tk_swap(first, nth);   // the nth element into its final position
      return;
    }
    --depth;
    tk_elem *cut = tk_unguarded_partition_pivot(L, first, last);
    if (cut <= nth) first = cut;
    else last = cut;
  }
  tk_insertion_sort(L, first, last);
}

// std::nth_element
static void tk_nth_element(int L, tk_elem *first, tk_elem *nth, tk_elem *last) {
  if (first == last || nth == last) return;
  tk_introselect(L, first, nth, last, tk_lg(last - first) * 2);
}

void dk_topk_row(const double *values, int64_t n, int64_t k, int largest, int sorted, double *out_values,
                 int64_t *out_indices) {
  if (k <= 0 || n <= 0) return;
  if (k > n) k = n;
  tk_elem *q = malloc(sizeof(tk_elem) * (size_t)n);
  if (!q) abort();
  for (int64_t j = 0; j < n; j++) { q[j].v = values[j]; q[j].i = j; }
  const int L = largest != 0;
  if (k * 64 <= n) {
    tk_partial_sort(L, q, q + k, q + n);
  } else {
    tk_nth_element(L, q, q + k - 1, q + n);
    if (sorted) tk_sort(L, q, q + k - 1);
  }
  for (int64_t j = 0; j < k; j++) {
    if (out_values) out_values[j] = q[j].v;
    if (out_indices) out_indices[j] = q[j].i;
  }
  free(q);
}
