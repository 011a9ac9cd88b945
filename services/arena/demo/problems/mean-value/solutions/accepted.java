import java.io.*;
import java.util.*;

public class Main {
    public static void main(String[] args) throws IOException {
        StreamTokenizer in = new StreamTokenizer(new BufferedReader(new InputStreamReader(System.in)));
        in.nextToken();
        int n = (int) in.nval;
        double sum = 0;
        for (int i = 0; i < n; i++) { in.nextToken(); sum += in.nval; }
        System.out.printf("%.9f%n", sum / n);
    }
}
