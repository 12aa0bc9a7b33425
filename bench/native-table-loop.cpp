// The native reference of the golden-integer benchmark: a network's conv/dense layers as C++ loops, one
// multiplier-table lookup per MAC (what a hand-written C++ simulator of an approximate network does), compiled with
// g++ -O2 in the same benchmark run. Reads from stdin: images, then per layer
//   C H W M KH KW STRIDE PADTOP PADLEFT GROUP OH OW   (a dense layer is 1x1 on 1x1)
// and prints the table-MACs per second over all images.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <vector>

struct Layer { int C, H, W, M, KH, KW, S, PT, PL, G, OH, OW; };

int main() {
  int images = 0;
  if (scanf("%d", &images) != 1) return 2;
  std::vector<Layer> layers;
  Layer l;
  while (scanf("%d %d %d %d %d %d %d %d %d %d %d %d", &l.C, &l.H, &l.W, &l.M, &l.KH, &l.KW, &l.S, &l.PT, &l.PL, &l.G, &l.OH, &l.OW) == 12) layers.push_back(l);
  std::vector<int32_t> table(65536);
  for (int a = 0; a < 256; a++) for (int w = 0; w < 256; w++) table[a * 256 + w] = (a * w) ^ ((a + w) & 15);
  std::vector<std::vector<uint8_t>> x, w;
  long long macs = 0;
  for (const Layer& L : layers) {
    std::vector<uint8_t> xi(L.C * L.H * L.W), wi((size_t)L.M * (L.C / L.G) * L.KH * L.KW);
    for (size_t i = 0; i < xi.size(); i++) xi[i] = (uint8_t)(i * 37);
    for (size_t i = 0; i < wi.size(); i++) wi[i] = (uint8_t)(i * 91);
    x.push_back(xi); w.push_back(wi);
    macs += (long long)L.M * L.OH * L.OW * (L.C / L.G) * L.KH * L.KW;
  }
  // The strong form of the loop: per image and layer, each output position's receptive field is gathered once into a
  // contiguous row (padding = the activation zero point), weights are pre-shifted into rows of a weight-major table,
  // so each MAC is one load from the table at wrow[k] + a[k] (the same algorithm as the golden model's kernel).
  const int za = 3;
  std::vector<int32_t> wmajor(65536);
  for (int a = 0; a < 256; a++) for (int v = 0; v < 256; v++) wmajor[v * 256 + a] = table[a * 256 + v];
  std::vector<std::vector<int32_t>> wrow;
  for (size_t li = 0; li < layers.size(); li++) {
    std::vector<int32_t> r(w[li].size());
    for (size_t i = 0; i < r.size(); i++) r[i] = w[li][i] << 8;
    wrow.push_back(r);
  }
  long long total = 0;
  std::vector<int32_t> rows;
  auto t0 = std::chrono::steady_clock::now();
  for (int n = 0; n < images; n++)
    for (size_t li = 0; li < layers.size(); li++) {
      const Layer& L = layers[li];
      const uint8_t* xd = x[li].data();
      const int32_t* wr = wrow[li].data();
      const int32_t* t = wmajor.data();
      const int cg = L.C / L.G, mg = L.M / L.G, K = cg * L.KH * L.KW, P = L.OH * L.OW;
      rows.resize((size_t)P * K);
      for (int g = 0; g < L.G; g++) {
        for (int oy = 0; oy < L.OH; oy++)
          for (int ox = 0; ox < L.OW; ox++) {
            int32_t* row = &rows[(size_t)(oy * L.OW + ox) * K];
            for (int c = 0; c < cg; c++)
              for (int ky = 0; ky < L.KH; ky++)
                for (int kx = 0; kx < L.KW; kx++) {
                  const int iy = oy * L.S + ky - L.PT, ix = ox * L.S + kx - L.PL;
                  *row++ = iy < 0 || iy >= L.H || ix < 0 || ix >= L.W ? za : xd[((g * cg + c) * L.H + iy) * L.W + ix];
                }
          }
        for (int m = g * mg; m < (g + 1) * mg; m++) {
          const int32_t* wm = wr + (size_t)m * K;
          for (int p = 0; p < P; p++) {
            const int32_t* a = &rows[(size_t)p * K];
            int32_t s = 0;
            for (int k = 0; k < K; k++) s += t[wm[k] + a[k]];
            total += s;
          }
        }
      }
    }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  printf("%.6f %lld %lld\n", (double)macs * images / seconds / 1e9, macs, total);
  return 0;
}
