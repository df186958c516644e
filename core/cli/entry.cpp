namespace kinspect::cli {
int main(int argc, char** argv);
}
int main(int argc, char** argv) { return kinspect::cli::main(argc, argv); }
