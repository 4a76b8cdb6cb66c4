// The sparse half of a TopK SAE training step, fused, as a Node-API addon.
//
// onnxruntime computes the dense encoder product and TopK; everything after it touches only the k active
// rows of each token, and onnxruntime's Gather / Mul / ScatterND materialise [B, k, d] tensors for that
// (about 1.6 GB of memory traffic per step at B=4096, k=32, d=512). Here the same maths runs without them:
//   1. forward, token-parallel: xc = x - b_dec, x_hat = b_dec + sum_j v_j W_dec[i_j], g = 2 (x_hat - x) / B;
//   2. a stable counting sort of the (token, slot) entries by latent (CSR, tokens ascending per latent);
//   3. backward + Adam, latent-parallel: each latent's row gradients are summed over its entries in an
//      L1-resident accumulator, then W_enc / W_dec / b_enc and their moments are updated in place and the
//      decoder row renormalised; no [n, d] gradient is ever stored;
//   4. b_dec from sum_b g_b - (d loss / d b_enc) W_enc (old W_enc, summed over fixed latent blocks).
// Every reduction runs over fixed chunks (64 tokens, 64 latents) combined in order, so the bytes written do
// not depend on the thread count. A non-finite loss returns before any parameter is touched.
#define NAPI_VERSION 8
#include <node_api.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 64
#define MAX_THREADS 64

typedef struct {
  int B, d, n, k, auxK, threads;
  float lr, t, auxCoef, beta1, beta2, eps;
  const float *x, *vals, *avals;
  const int32_t *idx, *aidx;
  float *W_enc, *b_enc, *W_dec, *b_dec;
  float *mWe, *mbe, *mWd, *mbd, *vWe, *vbe, *vWd, *vbd;
  float *xc, *g, *ga;              // [B, d] each: centred input, main and AuxK upstream gradients
  double *chunkSq, *chunkAux;      // [B / CHUNK] sums of |e|^2 and |r|^2
  int32_t *off, *ent, *aoff, *aent; // CSR by latent: offsets [n + 1], entries (b * k + j)
  float *blockDxc;                 // [ceil(n / CHUNK), d]: sum of gb_enc[i] W_enc[i] per latent block
  int *blockStart;                 // [threads + 1] latent-block range of each thread
} Step;

typedef struct { Step *s; int id; } Job;

static inline float dot(const float *a, const float *b, int d) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int i = 0;
  for (; i + 8 <= d; i += 8)
    for (int l = 0; l < 8; l++) acc[l] += a[i + l] * b[i + l];
  float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; i < d; i++) s += a[i] * b[i];
  return s;
}

static inline void axpy(float *y, float a, const float *x, int d) {
  for (int i = 0; i < d; i++) y[i] += a * x[i];
}

static void *forward(void *arg) {
  Job *job = (Job *)arg;
  Step *s = job->s;
  const int d = s->d, k = s->k, chunks = (s->B + CHUNK - 1) / CHUNK;
  const float scale = 2.0f / (float)s->B;
  for (int c = job->id; c < chunks; c += s->threads) {
    double sq = 0, asq = 0;
    const int hi = (c + 1) * CHUNK < s->B ? (c + 1) * CHUNK : s->B;
    for (int b = c * CHUNK; b < hi; b++) {
      const float *xb = s->x + (size_t)b * d;
      float *xc = s->xc + (size_t)b * d, *gb = s->g + (size_t)b * d;
      for (int i = 0; i < d; i++) { xc[i] = xb[i] - s->b_dec[i]; gb[i] = s->b_dec[i]; }
      for (int j = 0; j < k; j++) axpy(gb, s->vals[(size_t)b * k + j], s->W_dec + (size_t)s->idx[(size_t)b * k + j] * d, d);
      float e2 = 0;
      for (int i = 0; i < d; i++) { const float e = gb[i] - xb[i]; e2 += e * e; gb[i] = e; }
      sq += e2;
      if (s->auxK > 0) {
        float *ga = s->ga + (size_t)b * d;
        memcpy(ga, gb, sizeof(float) * d);
        for (int j = 0; j < s->auxK; j++) axpy(ga, s->avals[(size_t)b * s->auxK + j], s->W_dec + (size_t)s->aidx[(size_t)b * s->auxK + j] * d, d);
        float r2 = 0;
        for (int i = 0; i < d; i++) { r2 += ga[i] * ga[i]; ga[i] *= scale * s->auxCoef; }
        asq += r2;
      }
      for (int i = 0; i < d; i++) gb[i] *= scale;
    }
    s->chunkSq[c] = sq;
    s->chunkAux[c] = asq;
  }
  return NULL;
}

static inline void adam(float *p, float *m, float *v, const float *grad, int len, const Step *s, float bc1, float bc2) {
  for (int i = 0; i < len; i++) {
    const float m1 = m[i] * s->beta1 + grad[i] * (1.0f - s->beta1);
    const float v1 = v[i] * s->beta2 + (grad[i] * grad[i]) * (1.0f - s->beta2);
    m[i] = m1; v[i] = v1;
    p[i] = p[i] - ((m1 / bc1) / (sqrtf(v1 / bc2) + s->eps)) * s->lr;
  }
}

// Row gradients of one latent from its entries: W_dec (v * g_b), W_enc (ds * xc_b), b_enc (ds).
static float latentGrads(const Step *s, const int32_t *off, const int32_t *ent, const float *vals, const float *up, int kk, int i, float *gdec, float *genc) {
  const int d = s->d;
  const float *wd = s->W_dec + (size_t)i * d;
  float gb = 0;
  for (int q = off[i]; q < off[i + 1]; q++) {
    const int e = ent[q], b = e / kk;
    if (q + 1 < off[i + 1]) {
      // The next entry's rows are a random token's: fetch them while this one computes.
      const int nb = ent[q + 1] / kk;
      const char *pu = (const char *)(up + (size_t)nb * d), *px = (const char *)(s->xc + (size_t)nb * d);
      for (int c = 0; c < d * 4; c += 64) { __builtin_prefetch(pu + c); __builtin_prefetch(px + c); }
    }
    const float v = vals[e];
    const float *ub = up + (size_t)b * d;
    const float ds = v > 0 ? dot(wd, ub, d) : 0.0f;
    axpy(gdec, v, ub, d);
    if (ds != 0.0f) axpy(genc, ds, s->xc + (size_t)b * d, d);
    gb += ds;
  }
  return gb;
}

static void *backward(void *arg) {
  Job *job = (Job *)arg;
  Step *s = job->s;
  const int d = s->d;
  const float bc1 = 1.0f - powf(s->beta1, s->t), bc2 = 1.0f - powf(s->beta2, s->t);
  float *gdec = malloc(sizeof(float) * d * 2);
  if (!gdec) return (void *)1;
  float *genc = gdec + d;
  for (int blk = s->blockStart[job->id]; blk < s->blockStart[job->id + 1]; blk++) {
    float *dxc = s->blockDxc + (size_t)blk * d;
    memset(dxc, 0, sizeof(float) * d);
    const int hi = (blk + 1) * CHUNK < s->n ? (blk + 1) * CHUNK : s->n;
    for (int i = blk * CHUNK; i < hi; i++) {
      memset(gdec, 0, sizeof(float) * d * 2);
      float gb = latentGrads(s, s->off, s->ent, s->vals, s->g, s->k, i, gdec, genc);
      if (s->auxK > 0) gb += latentGrads(s, s->aoff, s->aent, s->avals, s->ga, s->auxK, i, gdec, genc);
      float *we = s->W_enc + (size_t)i * d, *wd = s->W_dec + (size_t)i * d;
      axpy(dxc, gb, we, d); // with the encoder row before its update
      adam(we, s->mWe + (size_t)i * d, s->vWe + (size_t)i * d, genc, d, s, bc1, bc2);
      adam(wd, s->mWd + (size_t)i * d, s->vWd + (size_t)i * d, gdec, d, s, bc1, bc2);
      adam(s->b_enc + i, s->mbe + i, s->vbe + i, &gb, 1, s, bc1, bc2);
      float nn = 0;
      for (int c = 0; c < d; c++) nn += wd[c] * wd[c];
      const float norm = fmaxf(sqrtf(nn), 1e-12f);
      for (int c = 0; c < d; c++) wd[c] /= norm;
    }
  }
  free(gdec);
  return NULL;
}

static int runThreads(Step *s, void *(*fn)(void *)) {
  pthread_t th[MAX_THREADS];
  Job jobs[MAX_THREADS];
  int started = 0, failed = 0;
  for (int t = 0; t < s->threads; t++) jobs[t] = (Job){ s, t };
  for (int t = 1; t < s->threads; t++) {
    if (pthread_create(&th[t], NULL, fn, &jobs[t]) != 0) { failed = 1; break; }
    started = t;
  }
  if (failed) { // too few threads to be had: run the remaining jobs here, same result
    for (int t = started + 1; t < s->threads; t++) if (fn(&jobs[t]) != NULL) failed = 2;
  }
  if (fn(&jobs[0]) != NULL) failed = 2;
  for (int t = 1; t <= started; t++) { void *r; pthread_join(th[t], &r); if (r != NULL) failed = 2; }
  return failed == 2 ? -1 : 0;
}

// Stable counting sort of entries by latent; returns the first bad index's position or -1.
static int buildCsr(const int32_t *idx, int count, int n, int32_t *off, int32_t *ent) {
  memset(off, 0, sizeof(int32_t) * (n + 1));
  for (int e = 0; e < count; e++) {
    const int32_t i = idx[e];
    if (i < 0 || i >= n) return e;
    off[i + 1]++;
  }
  for (int i = 0; i < n; i++) off[i + 1] += off[i];
  int32_t *cur = malloc(sizeof(int32_t) * n);
  if (!cur) return -2;
  memcpy(cur, off, sizeof(int32_t) * n);
  for (int e = 0; e < count; e++) ent[cur[idx[e]]++] = e;
  free(cur);
  return -1;
}

// ---- Node-API boundary ---------------------------------------------------------------------------------

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, "sae_step: Node-API call failed"); return NULL; } } while (0)

static int typed(napi_env env, napi_value v, napi_typedarray_type want, size_t len, void **data, const char *name) {
  bool is = false;
  napi_typedarray_type type;
  size_t n;
  char msg[160];
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) {
    snprintf(msg, sizeof msg, "sae_step: argument '%s' must be a typed array", name);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  napi_get_typedarray_info(env, v, &type, &n, data, NULL, NULL);
  if (type != want || n != len) {
    snprintf(msg, sizeof msg, "sae_step: argument '%s' must be a %s of length %zu (got length %zu)", name, want == napi_int32_array ? "Int32Array" : want == napi_float64_array ? "Float64Array" : "Float32Array", len, n);
    napi_throw_range_error(env, NULL, msg);
    return 0;
  }
  return 1;
}

// step(dims: Int32Array[B, d, n, k, auxK, threads], scalars: Float32Array[lr, t, auxCoef, beta1, beta2, eps],
//      x, vals, idx, avals, aidx, W_enc, b_enc, W_dec, b_dec, m x4, v x4, out: Float64Array[loss, fvu, auxLoss, threads used])
// -> true when the parameters were updated, false when the loss was not finite (nothing changed).
static napi_value Step_(napi_env env, napi_callback_info info) {
  size_t argc = 20;
  napi_value argv[20];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 20) { napi_throw_type_error(env, NULL, "sae_step: expected 20 arguments"); return NULL; }
  int32_t *dims; float *sc;
  if (!typed(env, argv[0], napi_int32_array, 6, (void **)&dims, "dims")) return NULL;
  if (!typed(env, argv[1], napi_float32_array, 6, (void **)&sc, "scalars")) return NULL;
  Step s = {0};
  s.B = dims[0]; s.d = dims[1]; s.n = dims[2]; s.k = dims[3]; s.auxK = dims[4]; s.threads = dims[5];
  if (s.B < 1 || s.d < 1 || s.n < 1 || s.k < 1 || s.k > s.n || s.auxK < 0 || s.auxK > s.n || s.threads < 1 || s.threads > MAX_THREADS) {
    napi_throw_range_error(env, NULL, "sae_step: dims must satisfy B, d, n >= 1, 1 <= k <= n, 0 <= auxK <= n, 1 <= threads <= 64");
    return NULL;
  }
  s.lr = sc[0]; s.t = sc[1]; s.auxCoef = sc[2]; s.beta1 = sc[3]; s.beta2 = sc[4]; s.eps = sc[5];
  const size_t Bd = (size_t)s.B * s.d, nd = (size_t)s.n * s.d, ak = (size_t)(s.auxK > 0 ? s.auxK : 1);
  void *p[18];
  const struct { napi_typedarray_type t; size_t len; const char *name; } want[18] = {
    { napi_float32_array, Bd, "x" }, { napi_float32_array, (size_t)s.B * s.k, "vals" }, { napi_int32_array, (size_t)s.B * s.k, "idx" },
    { napi_float32_array, s.auxK > 0 ? (size_t)s.B * ak : 0, "avals" }, { napi_int32_array, s.auxK > 0 ? (size_t)s.B * ak : 0, "aidx" },
    { napi_float32_array, nd, "W_enc" }, { napi_float32_array, (size_t)s.n, "b_enc" }, { napi_float32_array, nd, "W_dec" }, { napi_float32_array, (size_t)s.d, "b_dec" },
    { napi_float32_array, nd, "m_W_enc" }, { napi_float32_array, (size_t)s.n, "m_b_enc" }, { napi_float32_array, nd, "m_W_dec" }, { napi_float32_array, (size_t)s.d, "m_b_dec" },
    { napi_float32_array, nd, "v_W_enc" }, { napi_float32_array, (size_t)s.n, "v_b_enc" }, { napi_float32_array, nd, "v_W_dec" }, { napi_float32_array, (size_t)s.d, "v_b_dec" },
    { napi_float64_array, 4, "out" },
  };
  for (int a = 0; a < 18; a++) if (!typed(env, argv[a + 2], want[a].t, want[a].len, &p[a], want[a].name)) return NULL;
  s.x = p[0]; s.vals = p[1]; s.idx = p[2]; s.avals = p[3]; s.aidx = p[4];
  s.W_enc = p[5]; s.b_enc = p[6]; s.W_dec = p[7]; s.b_dec = p[8];
  s.mWe = p[9]; s.mbe = p[10]; s.mWd = p[11]; s.mbd = p[12]; s.vWe = p[13]; s.vbe = p[14]; s.vWd = p[15]; s.vbd = p[16];
  double *out = p[17];

  const int chunks = (s.B + CHUNK - 1) / CHUNK, blocks = (s.n + CHUNK - 1) / CHUNK;
  if (s.threads > blocks) s.threads = blocks;
  // A thread costs a create/join and a possibly busy core: give each at least ~2M multiply-adds (about 1 ms).
  const double work = (double)s.B * (s.k + s.auxK) * s.d;
  while (s.threads > 1 && work < (double)s.threads * (1 << 21)) s.threads--;
  float *fbuf = malloc(sizeof(float) * (Bd * (s.auxK > 0 ? 3 : 2) + (size_t)blocks * s.d));
  double *dbuf = malloc(sizeof(double) * chunks * 2);
  int32_t *ibuf = malloc(sizeof(int32_t) * ((size_t)(s.n + 1) * 2 + (size_t)s.B * (s.k + (s.auxK > 0 ? s.auxK : 0))));
  int *starts = malloc(sizeof(int) * (s.threads + 1));
  napi_value result;
  if (!fbuf || !dbuf || !ibuf || !starts) {
    free(fbuf); free(dbuf); free(ibuf); free(starts);
    napi_throw_error(env, NULL, "sae_step: out of memory for the step's scratch buffers");
    return NULL;
  }
  s.xc = fbuf; s.g = fbuf + Bd; s.ga = s.auxK > 0 ? fbuf + 2 * Bd : NULL; s.blockDxc = fbuf + Bd * (s.auxK > 0 ? 3 : 2);
  s.chunkSq = dbuf; s.chunkAux = dbuf + chunks;
  s.off = ibuf; s.aoff = ibuf + (s.n + 1); s.ent = ibuf + 2 * (size_t)(s.n + 1); s.aent = s.ent + (size_t)s.B * s.k;
  s.blockStart = starts;

  const char *err = NULL;
  int bad = buildCsr(s.idx, s.B * s.k, s.n, s.off, s.ent);
  if (bad == -1 && s.auxK > 0) bad = buildCsr(s.aidx, s.B * s.auxK, s.n, s.aoff, s.aent);
  if (bad != -1) err = bad == -2 ? "sae_step: out of memory" : "sae_step: an index in 'idx' or 'aidx' is outside [0, n)";
  if (!err && runThreads(&s, forward) != 0) err = "sae_step: forward pass failed";
  bool updated = false;
  if (!err) {
    double sq = 0, asq = 0;
    for (int c = 0; c < chunks; c++) { sq += s.chunkSq[c]; asq += s.chunkAux[c]; }
    // FVU denominator: total squared deviation of x from its batch mean, in double, two row-order passes.
    double var = 0;
    double *mu = calloc(s.d, sizeof(double));
    if (!mu) err = "sae_step: out of memory";
    else {
      for (int b = 0; b < s.B; b++) for (int i = 0; i < s.d; i++) mu[i] += s.x[(size_t)b * s.d + i];
      for (int i = 0; i < s.d; i++) mu[i] /= s.B;
      for (int b = 0; b < s.B; b++) for (int i = 0; i < s.d; i++) { const double dv = s.x[(size_t)b * s.d + i] - mu[i]; var += dv * dv; }
      free(mu);
    }
    out[0] = sq / s.B; out[1] = sq / var; out[2] = asq / s.B; out[3] = s.threads;
    if (!err && isfinite(out[0]) && (s.auxK == 0 || isfinite(out[2]))) {
      // Latent blocks split so each thread gets about the same number of entries (plus a share per latent for Adam).
      const double total = (double)s.B * (s.k + s.auxK) + s.n;
      double acc = 0;
      int t = 1;
      starts[0] = 0;
      for (int blk = 0; blk < blocks && t < s.threads; blk++) {
        const int hi = (blk + 1) * CHUNK < s.n ? (blk + 1) * CHUNK : s.n;
        acc += (double)(s.off[hi] - s.off[blk * CHUNK]) + (s.auxK > 0 ? (double)(s.aoff[hi] - s.aoff[blk * CHUNK]) : 0) + (hi - blk * CHUNK);
        if (acc >= total * t / s.threads) starts[t++] = blk + 1;
      }
      while (t <= s.threads) starts[t++] = blocks;
      // sum_b g_b before b_dec changes; the g rows are not touched by the backward pass.
      float *gsum = calloc(s.d, sizeof(float));
      if (!gsum) err = "sae_step: out of memory";
      else {
        double *gs = calloc(s.d, sizeof(double));
        if (!gs) err = "sae_step: out of memory";
        else {
          for (int b = 0; b < s.B; b++) for (int i = 0; i < s.d; i++) gs[i] += s.g[(size_t)b * s.d + i];
          if (runThreads(&s, backward) != 0) err = "sae_step: backward pass failed";
          else {
            const float bc1 = 1.0f - powf(s.beta1, s.t), bc2 = 1.0f - powf(s.beta2, s.t);
            for (int i = 0; i < s.d; i++) {
              float dxc = 0;
              for (int blk = 0; blk < blocks; blk++) dxc += s.blockDxc[(size_t)blk * s.d + i];
              gsum[i] = (float)gs[i] - dxc;
            }
            adam(s.b_dec, s.mbd, s.vbd, gsum, s.d, &s, bc1, bc2);
            updated = true;
          }
          free(gs);
        }
        free(gsum);
      }
    }
  }
  free(fbuf); free(dbuf); free(ibuf); free(starts);
  if (err) { napi_throw_error(env, NULL, err); return NULL; }
  CHECK(napi_get_boolean(env, updated, &result));
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "step", NAPI_AUTO_LENGTH, Step_, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "step", fn) != napi_ok) return NULL;
  return exports;
}
